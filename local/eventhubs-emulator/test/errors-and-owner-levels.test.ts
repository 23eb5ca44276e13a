import { EventHubConsumerClient, EventHubProducerClient, earliestEventPosition, latestEventPosition } from '@azure/event-hubs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { elementAt } from '../core/element-at.js';
import { startEventHubsEmulator, type RunningEventHubsEmulator } from '../index.js';
import { DEFAULT_WAIT_MS, quiet, waitFor } from './sdk-helpers.js';

let emulator: RunningEventHubsEmulator;
let consumer: EventHubConsumerClient;

beforeAll(async () => {
  emulator = await startEventHubsEmulator({ config: { eventHubs: [{ name: 'records', partitionCount: 2 }] }, port: 0, log: quiet });
  consumer = new EventHubConsumerClient('$default', emulator.connectionString, 'records');
});

afterAll(async () => {
  await consumer?.close();
  await emulator?.close();
});

/**
 * Subscribes to one partition and collects the errors processError sees. `batches` counts
 * processEvents calls: the SDK makes one (empty after maxWaitTimeInSeconds) only once its link is attached.
 */
function watch(client: EventHubConsumerClient, partitionId: string, ownerLevel?: number) {
  const errors: Array<{ code?: string; message: string }> = [];
  const received: unknown[] = [];
  const state = { batches: 0 };
  const subscription = client.subscribe(
    partitionId,
    {
      processEvents: async (events) => {
        state.batches++;
        received.push(...events.map((event) => event.body));
      },
      processError: async (error) => {
        errors.push(error as { code?: string; message: string });
      },
    },
    { startPosition: latestEventPosition, maxWaitTimeInSeconds: 0.5, ...(ownerLevel === undefined ? {} : { ownerLevel }) },
  );
  return { errors, received, subscription, attached: () => state.batches > 0 };
}

describe('event hubs emulator: errors the SDK maps to its usual codes', () => {
  it('refuses an unknown hub with MessagingEntityNotFoundError', async () => {
    const producer = new EventHubProducerClient(emulator.connectionString, 'nope', { retryOptions: { maxRetries: 0 } });
    try {
      await expect(producer.getEventHubProperties()).rejects.toMatchObject({ code: 'MessagingEntityNotFoundError' });
      await expect(producer.sendBatch([{ body: 1 }])).rejects.toMatchObject({ code: 'MessagingEntityNotFoundError' });
    } finally {
      await producer.close();
    }
  });

  it('refuses an unknown consumer group and an unknown partition', async () => {
    const stranger = new EventHubConsumerClient('nobody', emulator.connectionString, 'records');
    const { errors, subscription } = watch(stranger, '0');
    await waitFor(() => errors.length > 0, DEFAULT_WAIT_MS, 'consumer group error');
    expect(errors[0]?.code).toBe('MessagingEntityNotFoundError');
    await subscription.close();
    await stranger.close();

    const producer = new EventHubProducerClient(emulator.connectionString, 'records', { retryOptions: { maxRetries: 0 } });
    try {
      await expect(producer.sendBatch([{ body: 1 }], { partitionId: '7' })).rejects.toMatchObject({ code: 'ArgumentOutOfRangeError' });
      await expect(producer.getPartitionProperties('9')).rejects.toMatchObject({ code: 'ArgumentOutOfRangeError' });
    } finally {
      await producer.close();
    }
  });

  it('accepts events up to 1 MB and refuses larger ones with MessageTooLargeError', async () => {
    const producer = new EventHubProducerClient(emulator.connectionString, 'records');
    try {
      const batch = await producer.createBatch({ partitionId: '1' });
      expect(batch.maxSizeInBytes).toBe(1_048_576);
      expect(batch.tryAdd({ body: Buffer.alloc(1_000_000, 7) })).toBe(true);
      await producer.sendBatch(batch);
      const info = await producer.getPartitionProperties('1');
      expect(info.lastEnqueuedSequenceNumber).toBe(0);
      await expect(producer.sendBatch([{ body: Buffer.alloc(1_100_000, 7) }], { partitionId: '1' })).rejects.toMatchObject({
        code: 'MessageTooLargeError',
      });
      const events = await new Promise<number>((resolve, reject) => {
        const subscription = consumer.subscribe(
          '1',
          {
            processEvents: async (received) => {
              if (received.length > 0) {
                expect((received[0]?.body as Buffer | undefined)?.equals(Buffer.alloc(1_000_000, 7))).toBe(true);
                void subscription.close().then(() => resolve(received.length));
              }
            },
            processError: async (error) => reject(error),
          },
          { startPosition: earliestEventPosition, maxBatchSize: 5, maxWaitTimeInSeconds: 1 },
        );
      });
      expect(events).toBe(1);
    } finally {
      await producer.close();
    }
  });
});

describe('event hubs emulator: owner levels and reader limits', () => {
  it('disconnects a reader when one with a higher owner level attaches, and refuses lower ones', async () => {
    // The SDK allows one subscription per partition per client, so each reader gets its own client.
    const clients = Array.from({ length: 4 }, () => new EventHubConsumerClient('$default', emulator.connectionString, 'records'));
    try {
      const low = watch(elementAt(clients, 0), '0', 1);
      await waitFor(low.attached, DEFAULT_WAIT_MS, 'the lower owner to be attached');
      const high = watch(elementAt(clients, 1), '0', 2);
      await waitFor(() => low.errors.length > 0, DEFAULT_WAIT_MS, 'the lower owner to be disconnected');
      expect(low.errors[0]?.code).toBe('ReceiverDisconnectedError');
      await low.subscription.close();

      const lower = watch(elementAt(clients, 2), '0', 0);
      await waitFor(() => lower.errors.length > 0, DEFAULT_WAIT_MS, 'the lower owner to be refused');
      expect(lower.errors[0]?.code).toBe('ReceiverDisconnectedError');
      await lower.subscription.close();

      const plain = watch(elementAt(clients, 3), '0');
      await waitFor(() => plain.errors.length > 0, DEFAULT_WAIT_MS, 'a reader without owner level to be refused');
      expect(plain.errors[0]?.code).toBe('ReceiverDisconnectedError');
      await plain.subscription.close();
      expect(high.errors).toEqual([]);
      await high.subscription.close();
    } finally {
      await Promise.all(clients.map((client) => client.close()));
    }
  });

  it('allows five readers without owner level per partition and consumer group, not six', async () => {
    const clients = Array.from({ length: 6 }, () => new EventHubConsumerClient('$default', emulator.connectionString, 'records'));
    try {
      const readers = clients.slice(0, 5).map((client) => watch(client, '1'));
      // All five are attached once each has received an event sent after they subscribed.
      const producer = new EventHubProducerClient(emulator.connectionString, 'records');
      await waitFor(
        async () => {
          await producer.sendBatch([{ body: 'ping' }], { partitionId: '1' });
          return readers.every((reader) => reader.received.length > 0);
        },
        DEFAULT_WAIT_MS,
        'five readers to be attached',
      );
      await producer.close();
      const sixth = watch(elementAt(clients, 5), '1');
      await waitFor(() => sixth.errors.length > 0, DEFAULT_WAIT_MS, 'the sixth reader to be refused');
      expect(sixth.errors[0]?.code).toBe('QuotaExceededError');
      expect(readers.flatMap((reader) => reader.errors)).toEqual([]);
      for (const reader of [...readers, sixth]) await reader.subscription.close();
    } finally {
      await Promise.all(clients.map((client) => client.close()));
    }
  });
});
