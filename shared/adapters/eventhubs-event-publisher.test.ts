/**
 * The Event Hubs publisher against the emulator, read back with the official SDK: a body given as
 * JSON bytes (how extract sends chunks) reaches consumers as the same value as an object body, and
 * a send caught by the hub's death goes out again once the hub is back.
 */
import { EventHubConsumerClient, EventHubProducerClient, earliestEventPosition } from '@azure/event-hubs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulatorProcess } from '../../local/cli/emulator-process.js';
import { REPOSITORY_ROOT } from '../../local/cli/local-stack.js';
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
    const error = await publisher
      .publish([{ body: Buffer.alloc(2 * 1024 * 1024, 0x20), partitionId: '0' }])
      .catch((caught: unknown) => caught);
    expect(isEtlError(error, 'PUBLISH_FAILED')).toBe(true);
  });
});

describe('EventHubsEventPublisher when the hub goes away mid-send', () => {
  it('sends again on the new connection instead of waiting out the SDK try timeout', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'etl-publisher-'));
    const config = { namespace: 'localhost', eventHubs: [{ name: 'records', partitionCount: 1, consumerGroups: ['$default'] }] };
    const start = (port: number) => startEmulatorProcess({ repositoryRoot: REPOSITORY_ROOT, config, dataDir, port, log: () => {} });
    let emulator = await start(0);
    const producer = new EventHubProducerClient(emulator.connectionString, 'records');
    const publisher = new EventHubsEventPublisher(producer, 'records', { timeoutMs: 3_000, attempts: 10 });
    try {
      await publisher.publish([{ body: { n: 1 }, partitionId: '0' }]);
      // Stopped, the emulator takes the send but never answers it; killed, it drops the connection under it.
      process.kill(emulator.pid, 'SIGSTOP');
      const sending = publisher.publish([{ body: { n: 2 }, partitionId: '0' }]);
      await new Promise((resolve) => setTimeout(resolve, 500));
      process.kill(emulator.pid, 'SIGKILL');
      await emulator.exited;
      emulator = await start(emulator.port);
      const backAt = Date.now();
      await sending;
      // Left to the SDK, the send would wait for its 60 s try timeout.
      expect(Date.now() - backAt).toBeLessThan(20_000);
      const consumer = new EventHubConsumerClient('$Default', emulator.connectionString, 'records');
      try {
        const events = await readEvents(consumer, '0', earliestEventPosition, 2);
        expect(events.map((event) => event.body)).toEqual([{ n: 1 }, { n: 2 }]);
      } finally {
        await consumer.close();
      }
    } finally {
      await publisher.close();
      await emulator.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 180_000);
});
