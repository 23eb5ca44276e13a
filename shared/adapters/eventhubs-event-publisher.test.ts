/**
 * The Event Hubs publisher against the emulator, read back with the official SDK: a body given as
 * JSON bytes (how extract sends chunks) reaches consumers as the same value as an object body.
 */
import { EventHubConsumerClient, EventHubProducerClient, earliestEventPosition } from '@azure/event-hubs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEventHubsEmulator, type RunningEventHubsEmulator } from '../../local/eventhubs-emulator/index.js';
import { readEvents } from '../../local/eventhubs-emulator/test/sdk-helpers.js';
import { isEtlError } from '../errors/etl-error.js';
import { EventHubsEventPublisher } from './eventhubs-event-publisher.js';

describe('EventHubsEventPublisher', () => {
  let emulator: RunningEventHubsEmulator;
  let producer: EventHubProducerClient;
  let publisher: EventHubsEventPublisher;

  beforeAll(async () => {
    emulator = await startEventHubsEmulator({ config: { eventHubs: [{ name: 'records', partitionCount: 2 }] }, port: 0, log: () => {} });
    producer = new EventHubProducerClient(emulator.connectionString, 'records');
    publisher = new EventHubsEventPublisher(producer, 'records');
  }, 60_000);

  afterAll(async () => {
    await publisher?.close();
    await emulator?.close();
  });

  it('delivers a JSON-bytes body as the same value as the object it encodes, with its properties', async () => {
    expect(await publisher.partitionIds()).toEqual(['0', '1']);
    const body = { type: 'etl.chunk', rows: [['a', 'ü "q"', '🚀']], rowNumbers: [7] };
    const properties = { fileId: 'f', chunkIndex: 3 };
    await publisher.publish([
      { body, partitionId: '1', properties },
      { body: Buffer.from(JSON.stringify(body), 'utf8'), partitionId: '1', properties },
    ]);
    const consumer = new EventHubConsumerClient('$Default', emulator.connectionString, 'records');
    try {
      const events = await readEvents(consumer, '1', earliestEventPosition, 2);
      expect(events.map((event) => event.body)).toEqual([body, body]);
      expect(events.map((event) => event.properties)).toEqual([properties, properties]);
    } finally {
      await consumer.close();
    }
  });

  it('refuses an event above the service limit with PUBLISH_FAILED', async () => {
    const error = await publisher.publish([{ body: Buffer.alloc(2 * 1024 * 1024, 0x20), partitionId: '0' }]).catch((caught: unknown) => caught);
    expect(isEtlError(error, 'PUBLISH_FAILED')).toBe(true);
  });
});
