/** Helpers for tests that drive the emulator with the official SDK. */
import { EventHubConsumerClient, type EventPosition, type ReceivedEventData, type SubscribeOptions } from '@azure/event-hubs';

/** Deadline for reads and waits: it only bounds a hang, so it is generous for a loaded CI machine. */
export const DEFAULT_WAIT_MS = 30_000;

/** The key part of every connection string the emulator prints (its default SAS key), as a regex source. */
export const DEFAULT_KEY_PATTERN = 'SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=SAS_KEY_VALUE;';

export interface Reading {
  /**
   * Settles once the receiver link is attached. The SDK calls processEvents (with an empty batch
   * after maxWaitTimeInSeconds when nothing arrived) only once its link is open, and the emulator
   * fixes a `latest` start position when it answers the attach, so anything sent after this is read.
   */
  readonly attached: Promise<void>;
  /** The first `count` events (or more, if they came in one batch). */
  readonly events: Promise<ReceivedEventData[]>;
}

/** Reads `count` events from one partition through `subscribe()`, or fails after `timeoutMs`. */
export function startReading(
  client: EventHubConsumerClient,
  partitionId: string,
  startPosition: EventPosition,
  count: number,
  options: SubscribeOptions = {},
  timeoutMs = DEFAULT_WAIT_MS,
): Reading {
  const received: ReceivedEventData[] = [];
  let markAttached: () => void = () => undefined;
  let failAttach: (error: unknown) => void = () => undefined;
  const attached = new Promise<void>((resolve, reject) => {
    markAttached = resolve;
    failAttach = reject;
  });
  // A failed read also fails `attached`; a caller awaiting only `events` must not see an unhandled rejection.
  attached.catch(() => undefined);
  const events = new Promise<ReceivedEventData[]>((resolve, reject) => {
    let done = false;
    const finish = (error?: unknown) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (error) failAttach(error);
      void subscription.close().then(() => (error ? reject(error) : resolve(received)));
    };
    const timer = setTimeout(() => finish(new Error(`timed out with ${received.length} of ${count} events`)), timeoutMs);
    const subscription = client.subscribe(
      partitionId,
      {
        processEvents: async (batch) => {
          markAttached();
          received.push(...batch);
          if (received.length >= count) finish();
        },
        processError: async (error) => finish(error),
      },
      { maxBatchSize: 100, maxWaitTimeInSeconds: 0.5, ...options, startPosition },
    );
  });
  return { attached, events };
}

/** Reads `count` events from one partition through `subscribe()`, or fails after `timeoutMs`. */
export async function readEvents(
  client: EventHubConsumerClient,
  partitionId: string,
  startPosition: EventPosition,
  count: number,
  options: SubscribeOptions = {},
  timeoutMs = DEFAULT_WAIT_MS,
): Promise<ReceivedEventData[]> {
  return startReading(client, partitionId, startPosition, count, options, timeoutMs).events;
}

/** Waits until `predicate` holds, polling; fails after `timeoutMs`. */
export async function waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs = DEFAULT_WAIT_MS, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export const quiet = (): void => undefined;
