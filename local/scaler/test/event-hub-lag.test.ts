/**
 * The lag reader against the real emulator (official SDK) and Azurite: events sent, checkpoints
 * written with the SDK's BlobCheckpointStore exactly as the host writes them, lag read back.
 */
import { EventHubProducerClient } from '@azure/event-hubs';
import { BlobCheckpointStore } from '@azure/eventhubs-checkpointstore-blob';
import { ContainerClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type RunningAzurite } from '../../azurite/start-azurite.js';
import { startEventHubsEmulator, type RunningEventHubsEmulator } from '../../eventhubs-emulator/index.js';
import { EVENTHUB_CHECKPOINT_CONTAINER } from '../../../shared/config/app-settings.js';
import { createEventHubsLagReader, type EventHubsLagReader } from '../event-hub-lag.js';
import { hubUnprocessedEvents } from '../partition-lag.js';

describe('Event Hubs lag reader', () => {
  let azurite: RunningAzurite;
  let emulator: RunningEventHubsEmulator;
  let producer: EventHubProducerClient;
  let store: BlobCheckpointStore;
  let reader: EventHubsLagReader;
  const lastSequence = new Map<string, number>();

  beforeAll(async () => {
    [azurite, emulator] = await Promise.all([
      startAzurite({}),
      startEventHubsEmulator({
        config: {
          eventHubs: [
            { name: 'lagging', partitionCount: 3, consumerGroups: ['work'] },
            { name: 'quiet', partitionCount: 2, consumerGroups: ['work'] },
          ],
        },
        port: 0,
        log: () => undefined,
      }),
    ]);
    const container = new ContainerClient(azurite.connectionString, EVENTHUB_CHECKPOINT_CONTAINER);
    await container.createIfNotExists();
    store = new BlobCheckpointStore(container);
    producer = new EventHubProducerClient(emulator.connectionString, 'lagging');
    // 10 events to partition 0, 25 to partition 1, none to partition 2.
    for (const [partitionId, count] of [
      ['0', 10],
      ['1', 25],
    ] as const) {
      const batch = await producer.createBatch({ partitionId });
      for (let index = 0; index < count; index += 1) batch.tryAdd({ body: { index } });
      await producer.sendBatch(batch);
      lastSequence.set(partitionId, (await producer.getPartitionProperties(partitionId)).lastEnqueuedSequenceNumber);
    }
    reader = createEventHubsLagReader({
      eventHubsConnectionString: emulator.connectionString,
      storageConnectionString: azurite.connectionString,
      hubs: [
        { eventHubName: 'lagging', consumerGroup: 'work' },
        { eventHubName: 'quiet', consumerGroup: 'work' },
      ],
    });
  });

  afterAll(async () => {
    await reader?.close();
    await producer?.close();
    await Promise.all([emulator?.close(), azurite?.close()]);
  });

  it('counts every event from the partition start when nothing is checkpointed', async () => {
    const [lagging, quiet] = await reader.read();
    expect(lagging!.partitions.map((partition) => [partition.partitionId, partition.checkpointSequenceNumber])).toEqual([
      ['0', undefined],
      ['1', undefined],
      ['2', undefined],
    ]);
    expect(hubUnprocessedEvents(lagging!, 'functions')).toBe(35);
    expect(hubUnprocessedEvents(lagging!, 'keda')).toBe(35);
    expect(lagging!.partitions[2]).toMatchObject({ isEmpty: true, lastEnqueuedSequenceNumber: -1 });
    expect(quiet).toMatchObject({ eventHubName: 'quiet', consumerGroup: 'work' });
    expect(hubUnprocessedEvents(quiet!, 'functions')).toBe(0);
  });

  it('subtracts the checkpointed sequence number the host wrote', async () => {
    const [first] = await reader.read();
    const write = (partitionId: string, sequenceNumber: number) =>
      store.updateCheckpoint({
        fullyQualifiedNamespace: producer.fullyQualifiedNamespace,
        eventHubName: 'lagging',
        consumerGroup: 'work',
        partitionId,
        sequenceNumber,
        offset: String(sequenceNumber * 100),
      });
    // Partition 0 processed up to its 4th event (6 left), partition 1 up to its last one (none left).
    await write('0', first!.partitions[0]!.beginningSequenceNumber + 3);
    await write('1', lastSequence.get('1')!);
    const [lagging] = await reader.read();
    expect(lagging!.partitions.map((partition) => partition.checkpointSequenceNumber)).toEqual([
      first!.partitions[0]!.beginningSequenceNumber + 3,
      lastSequence.get('1'),
      undefined,
    ]);
    expect(hubUnprocessedEvents(lagging!, 'functions')).toBe(6);
    expect(hubUnprocessedEvents(lagging!, 'keda')).toBe(6);
    // A checkpoint of another consumer group does not count for this one.
    await store.updateCheckpoint({
      fullyQualifiedNamespace: producer.fullyQualifiedNamespace,
      eventHubName: 'lagging',
      consumerGroup: '$default',
      partitionId: '0',
      sequenceNumber: lastSequence.get('0')!,
      offset: '0',
    });
    const [again] = await reader.read();
    expect(hubUnprocessedEvents(again!, 'functions')).toBe(6);
  });
});
