/**
 * Tells a test when a processor's receiver is attached to a partition, so it can send events a
 * `fromEnd` (latest) start position must see, without guessing with a sleep.
 */
import { EventHubConsumerClient, latestEventPosition } from '@azure/event-hubs';

/**
 * Waits until a reader with an owner level is attached to one partition of a consumer group: what
 * a processor with a checkpoint store opens (owner level 0). Event Hubs refuses a reader without an
 * owner level while such a reader is attached, and disconnects one that was there first when it
 * attaches; either way this probe (no owner level) sees ReceiverDisconnectedError exactly then.
 */
export async function waitForOwnerReader(
  connectionString: string,
  eventHubName: string,
  consumerGroup: string,
  partitionId: string,
  timeoutMs = 30_000,
): Promise<void> {
  const probe = new EventHubConsumerClient(consumerGroup, connectionString, eventHubName);
  let timer: NodeJS.Timeout | undefined;
  let subscription: { close(): Promise<void> } | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(`timed out after ${timeoutMs} ms waiting for an owner reader on ${eventHubName}/${consumerGroup}/${partitionId}`),
          ),
        timeoutMs,
      );
      subscription = probe.subscribe(
        partitionId,
        {
          processEvents: async () => undefined,
          processError: async (error) => {
            // Other errors (a slow attach timing out, say) are retried by the SDK; keep waiting.
            if ((error as { code?: string }).code === 'ReceiverDisconnectedError') resolve();
          },
        },
        { startPosition: latestEventPosition, maxWaitTimeInSeconds: 1 },
      );
    });
  } finally {
    clearTimeout(timer);
    await subscription?.close();
    await probe.close();
  }
}
