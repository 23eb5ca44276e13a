/** Helpers for tests that drive the emulator with the official SDK. */
import {
  EventHubConsumerClient,
  type EventPosition,
  type ReceivedEventData,
  type SubscribeOptions,
} from '@azure/event-hubs';

/** Reads `count` events from one partition through `subscribe()`, or fails after `timeoutMs`. */
export async function readEvents(
  client: EventHubConsumerClient,
  partitionId: string,
  startPosition: EventPosition,
  count: number,
  options: SubscribeOptions = {},
  timeoutMs = 15_000,
): Promise<ReceivedEventData[]> {
  const received: ReceivedEventData[] = [];
  return new Promise<ReceivedEventData[]>((resolve, reject) => {
    let done = false;
    const finish = (error?: unknown) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      void subscription.close().then(() => (error ? reject(error) : resolve(received)));
    };
    const timer = setTimeout(() => finish(new Error(`timed out with ${received.length} of ${count} events`)), timeoutMs);
    const subscription = client.subscribe(
      partitionId,
      {
        processEvents: async (events) => {
          received.push(...events);
          if (received.length >= count) finish();
        },
        processError: async (error) => finish(error),
      },
      { maxBatchSize: 100, maxWaitTimeInSeconds: 0.5, ...options, startPosition },
    );
  });
}

/** Waits until `predicate` holds, polling; fails after `timeoutMs`. */
export async function waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs = 15_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export const quiet = (): void => undefined;
