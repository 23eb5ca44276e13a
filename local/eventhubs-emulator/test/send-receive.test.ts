import { createRequire } from 'node:module';
import {
  EventHubConsumerClient,
  EventHubProducerClient,
  earliestEventPosition,
  latestEventPosition,
  type ReceivedEventData,
} from '@azure/event-hubs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { elementAt } from '../core/element-at.js';
import { startEventHubsEmulator, type RunningEventHubsEmulator } from '../index.js';
import { quiet, readEvents, startReading } from './sdk-helpers.js';

// The SDK's own key-to-partition mapper (not exported publicly): placement must agree with it.
const require = createRequire(import.meta.url);
const sdkMapper = require('../../../node_modules/@azure/event-hubs/dist/commonjs/impl/partitionKeyToIdMapper.js') as {
  mapPartitionKeyToId(key: string, count: number): number;
};

let emulator: RunningEventHubsEmulator;
let producer: EventHubProducerClient;
let consumer: EventHubConsumerClient;

beforeAll(async () => {
  emulator = await startEventHubsEmulator({
    config: {
      eventHubs: [
        { name: 'records', partitionCount: 4, consumerGroups: ['transform', 'replay'] },
        { name: 'roundtrip', partitionCount: 2 },
      ],
    },
    port: 0,
    log: quiet,
  });
  producer = new EventHubProducerClient(emulator.connectionString, 'records');
  consumer = new EventHubConsumerClient('$default', emulator.connectionString, 'records');
});

/** The position just after everything a partition held at `info`. */
function latestEventPositionBefore(info: { lastEnqueuedSequenceNumber: number }) {
  return { sequenceNumber: info.lastEnqueuedSequenceNumber, isInclusive: false };
}

afterAll(async () => {
  await consumer?.close();
  await producer?.close();
  await emulator?.close();
});

describe('event hubs emulator: send and receive with the official SDK', () => {
  it('places events by partition key as the service does, always on the same partition', async () => {
    const keys = ['device-001', 'device-002', 'device-003', 'device-004', 'device-005', 'device-006'];
    for (const key of keys) {
      const batch = await producer.createBatch({ partitionKey: key });
      expect(batch.tryAdd({ body: { key, n: 1 } })).toBe(true);
      expect(batch.tryAdd({ body: { key, n: 2 } })).toBe(true);
      await producer.sendBatch(batch);
      await producer.sendBatch([{ body: { key, n: 3 } }], { partitionKey: key });
    }
    const byPartition = new Map<string, ReceivedEventData[]>();
    for (const id of ['0', '1', '2', '3']) {
      const info = await producer.getPartitionProperties(id);
      const count = info.isEmpty ? 0 : info.lastEnqueuedSequenceNumber + 1;
      byPartition.set(id, count === 0 ? [] : await readEvents(consumer, id, earliestEventPosition, count));
    }
    for (const key of keys) {
      const expected = String(sdkMapper.mapPartitionKeyToId(key, 4));
      const found = [...byPartition.entries()].filter(([, events]) => events.some((event) => event.partitionKey === key));
      expect(found.map(([id]) => id)).toEqual([expected]);
      const events = byPartition.get(expected)!.filter((event) => event.partitionKey === key);
      expect(events.map((event) => (event.body as { n: number }).n)).toEqual([1, 2, 3]);
    }
  });

  it('sends to a partition id, and spreads keyless batches round robin', async () => {
    const before = await Promise.all(['0', '1', '2', '3'].map((id) => producer.getPartitionProperties(id)));
    await producer.sendBatch([{ body: 'to-three' }], { partitionId: '3' });
    for (let i = 0; i < 8; i++) await producer.sendBatch([{ body: `rr-${i}` }]);
    const after = await Promise.all(['0', '1', '2', '3'].map((id) => producer.getPartitionProperties(id)));
    const added = after.map((info, index) => info.lastEnqueuedSequenceNumber - elementAt(before, index).lastEnqueuedSequenceNumber);
    expect(added.reduce((sum, n) => sum + n, 0)).toBe(9);
    expect(added[3]).toBeGreaterThanOrEqual(1);
    expect(added.every((n) => n >= 2)).toBe(true);
    const last = await readEvents(
      consumer,
      '3',
      { sequenceNumber: elementAt(before, 3).lastEnqueuedSequenceNumber, isInclusive: false },
      1,
    );
    expect(last[0]?.body).toBe('to-three');
  });

  it('round-trips bodies, application properties and system properties exactly', async () => {
    const hubProducer = new EventHubProducerClient(emulator.connectionString, 'roundtrip');
    const hubConsumer = new EventHubConsumerClient('$default', emulator.connectionString, 'roundtrip');
    try {
      const sent = [
        { body: Buffer.from([0, 1, 2, 250, 255]), properties: { kind: 'bytes', n: 42, big: 2 ** 40, ok: true } },
        { body: 'plain text ü', properties: { kind: 'string', unicode: 'ä€𝄞' } },
        { body: { nested: { a: [1, 2, 3] }, s: 'x' }, properties: { kind: 'json', neg: -7, ratio: 0.25 } },
        { body: [1, 'two', { three: 3 }], properties: { kind: 'array' } },
      ];
      const startedAt = Date.now();
      await hubProducer.sendBatch(sent, { partitionId: '1' });
      const events = await readEvents(hubConsumer, '1', earliestEventPosition, sent.length);
      expect(events.map((event) => event.body)).toEqual(sent.map((event) => event.body));
      expect(events.map((event) => event.properties)).toEqual(sent.map((event) => event.properties));
      expect(events.map((event) => event.sequenceNumber)).toEqual([0, 1, 2, 3]);
      const offsets = events.map((event) => Number(event.offset));
      expect(offsets[0]).toBe(0);
      expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
      expect(new Set(offsets).size).toBe(4);
      for (const event of events) {
        expect(event.enqueuedTimeUtc.getTime()).toBeGreaterThanOrEqual(startedAt - 5);
        expect(event.enqueuedTimeUtc.getTime()).toBeLessThanOrEqual(Date.now());
      }
      const info = await hubProducer.getPartitionProperties('1');
      expect(info).toMatchObject({
        partitionId: '1',
        eventHubName: 'roundtrip',
        beginningSequenceNumber: 0,
        lastEnqueuedSequenceNumber: 3,
        lastEnqueuedOffset: events[3]?.offset,
        isEmpty: false,
      });
      expect(info.lastEnqueuedOnUtc.getTime()).toBe(events[3]?.enqueuedTimeUtc.getTime());

      // Every start position the SDK offers.
      const fromSequence = await readEvents(hubConsumer, '1', { sequenceNumber: 1, isInclusive: true }, 3);
      expect(fromSequence.map((event) => event.sequenceNumber)).toEqual([1, 2, 3]);
      const afterSequence = await readEvents(hubConsumer, '1', { sequenceNumber: 1 }, 2);
      expect(afterSequence.map((event) => event.sequenceNumber)).toEqual([2, 3]);
      const fromOffset = await readEvents(hubConsumer, '1', { offset: elementAt(events, 2).offset, isInclusive: true }, 2);
      expect(fromOffset.map((event) => event.sequenceNumber)).toEqual([2, 3]);
      const afterOffset = await readEvents(hubConsumer, '1', { offset: elementAt(events, 2).offset }, 1);
      expect(afterOffset.map((event) => event.sequenceNumber)).toEqual([3]);
      const byTime = await readEvents(hubConsumer, '1', { enqueuedOn: elementAt(events, 0).enqueuedTimeUtc.getTime() - 1 }, 4);
      expect(byTime.map((event) => event.sequenceNumber)).toEqual([0, 1, 2, 3]);

      // Latest: only what arrives after the reader attached.
      const latest = startReading(hubConsumer, '1', latestEventPosition, 1);
      await latest.attached;
      await hubProducer.sendBatch([{ body: 'later' }], { partitionId: '1' });
      expect((await latest.events).map((event) => [event.sequenceNumber, event.body])).toEqual([[4, 'later']]);
    } finally {
      await hubConsumer.close();
      await hubProducer.close();
    }
  });

  it("keeps a producer's own message annotations and long partition keys, and reports last-enqueued info on request", async () => {
    const longKey = `k-${'x'.repeat(300)}`;
    const keyPartition = String(sdkMapper.mapPartitionKeyToId(longKey, 4));
    const beforeKeyed = await producer.getPartitionProperties(keyPartition);
    await producer.sendBatch([{ body: 'long key' }], { partitionKey: longKey });
    const keyed = await readEvents(consumer, keyPartition, latestEventPositionBefore(beforeKeyed), 1);
    expect(keyed[0]?.partitionKey).toBe(longKey);

    const annotated = {
      body: 'annotated',
      bodyType: 'data' as const,
      messageAnnotations: { 'x-opt-custom': 'kept', 'x-opt-number': 7 },
      applicationProperties: { p: 1 },
    };
    const before = await producer.getPartitionProperties('2');
    await producer.sendBatch([annotated], { partitionId: '2' });
    const event = elementAt(await readEvents(consumer, '2', latestEventPositionBefore(before), 1), 0);
    expect(event.systemProperties).toMatchObject({ 'x-opt-custom': 'kept', 'x-opt-number': 7 });
    expect(event.properties).toEqual({ p: 1 });
    expect(event.sequenceNumber).toBe(before.lastEnqueuedSequenceNumber + 1);

    // trackLastEnqueuedEventProperties: the runtime-metric capability fills lastEnqueuedEventProperties.
    await producer.sendBatch([{ body: 'one' }, { body: 'two' }], { partitionId: '2' });
    const latest = await producer.getPartitionProperties('2');
    const info = await new Promise<{ sequenceNumber?: number; offset?: string } | undefined>((resolve, reject) => {
      const subscription = consumer.subscribe(
        '2',
        {
          processEvents: async (events, context) => {
            if (events.length === 0) return;
            void subscription.close().then(() => resolve(context.lastEnqueuedEventProperties));
          },
          processError: async (error) => reject(error),
        },
        {
          startPosition: { sequenceNumber: before.lastEnqueuedSequenceNumber },
          trackLastEnqueuedEventProperties: true,
          maxWaitTimeInSeconds: 1,
        },
      );
    });
    expect(info?.sequenceNumber).toBe(latest.lastEnqueuedSequenceNumber);
    expect(info?.offset).toBe(latest.lastEnqueuedOffset);
  });

  it('reports hub properties and partition properties exactly', async () => {
    const before = Date.now();
    const hub = await producer.getEventHubProperties();
    expect(hub.name).toBe('records');
    expect(hub.partitionIds).toEqual(['0', '1', '2', '3']);
    expect(hub.createdOn.getTime()).toBeLessThanOrEqual(before);
    expect(await consumer.getPartitionIds()).toEqual(['0', '1', '2', '3']);
    const roundtrip = new EventHubProducerClient(emulator.connectionString, 'roundtrip');
    try {
      const empty = await roundtrip.getPartitionProperties('0');
      expect(empty).toMatchObject({ isEmpty: true, lastEnqueuedSequenceNumber: -1, lastEnqueuedOffset: '-1', beginningSequenceNumber: -1 });
    } finally {
      await roundtrip.close();
    }
  });

  it('delivers to live readers in several consumer groups independently', async () => {
    const transform = new EventHubConsumerClient('transform', emulator.connectionString, 'records');
    const replay = new EventHubConsumerClient('replay', emulator.connectionString, 'records');
    try {
      const start = await producer.getPartitionProperties('0');
      const first = startReading(transform, '0', latestEventPosition, 2);
      const second = startReading(replay, '0', latestEventPosition, 2);
      await Promise.all([first.attached, second.attached]);
      await producer.sendBatch([{ body: 'g1' }, { body: 'g2' }], { partitionId: '0' });
      for (const events of [await first.events, await second.events]) {
        expect(events.map((event) => event.body)).toEqual(['g1', 'g2']);
        expect(events[0]?.sequenceNumber).toBe(start.lastEnqueuedSequenceNumber + 1);
      }
    } finally {
      await transform.close();
      await replay.close();
    }
  });
});
