import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventHubConsumerClient, EventHubProducerClient, earliestEventPosition, type ReceivedEventData } from '@azure/event-hubs';
import { afterEach, describe, expect, it } from 'vitest';
import { startEventHubsEmulator, type EmulatorConfig, type RunningEventHubsEmulator } from '../index.js';
import { elementAt } from '../core/element-at.js';
import { readEvents } from './sdk-helpers.js';

const directories: string[] = [];
const running: RunningEventHubsEmulator[] = [];

afterEach(async () => {
  for (const emulator of running.splice(0)) await emulator.close();
  for (const directory of directories.splice(0)) await rm(directory, { recursive: true, force: true });
});

async function dataDirectory(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'eh-emulator-'));
  directories.push(directory);
  return directory;
}

async function start(config: EmulatorConfig, dataDir: string, logLines: string[] = []): Promise<RunningEventHubsEmulator> {
  const emulator = await startEventHubsEmulator({ config, dataDir, port: 0, log: (line) => logLines.push(line) });
  running.push(emulator);
  return emulator;
}

async function stop(emulator: RunningEventHubsEmulator): Promise<void> {
  running.splice(running.indexOf(emulator), 1);
  await emulator.close();
}

/** Sends, reads back everything from partition `id`, and closes the clients. */
async function withClients<T>(
  emulator: RunningEventHubsEmulator,
  run: (producer: EventHubProducerClient, consumer: EventHubConsumerClient) => Promise<T>,
): Promise<T> {
  const producer = new EventHubProducerClient(emulator.connectionString, 'records');
  const consumer = new EventHubConsumerClient('$default', emulator.connectionString, 'records');
  try {
    return await run(producer, consumer);
  } finally {
    await consumer.close();
    await producer.close();
  }
}

const summary = (events: ReceivedEventData[]) =>
  events.map((event) => ({
    body: event.body,
    sequenceNumber: event.sequenceNumber,
    offset: event.offset,
    time: event.enqueuedTimeUtc.getTime(),
    key: event.partitionKey,
  }));

async function segmentFiles(dataDir: string, partitionId: string): Promise<string[]> {
  const directory = join(dataDir, 'records', 'partitions', partitionId);
  return (await readdir(directory))
    .filter((name) => name.endsWith('.log'))
    .sort()
    .map((name) => join(directory, name));
}

const config: EmulatorConfig = { eventHubs: [{ name: 'records', partitionCount: 2 }] };

describe('event hubs emulator: durability', () => {
  it('keeps every event, sequence number, offset and property across a restart', async () => {
    const dataDir = await dataDirectory();
    let emulator = await start(config, dataDir);
    const before = await withClients(emulator, async (producer, consumer) => {
      for (let i = 0; i < 5; i++)
        await producer.sendBatch([{ body: { i }, properties: { i } }, { body: `text-${i}` }], { partitionId: '0' });
      await producer.sendBatch([{ body: 'keyed' }], { partitionKey: 'device-9' });
      return {
        hub: await producer.getEventHubProperties(),
        partitions: await Promise.all(['0', '1'].map((id) => producer.getPartitionProperties(id))),
        events: summary(await readEvents(consumer, '0', earliestEventPosition, 10)),
      };
    });
    await stop(emulator);

    emulator = await start(config, dataDir);
    await withClients(emulator, async (producer, consumer) => {
      expect(await producer.getEventHubProperties()).toEqual(before.hub);
      expect(await Promise.all(['0', '1'].map((id) => producer.getPartitionProperties(id)))).toEqual(before.partitions);
      const total = before.partitions.map((info) => info.lastEnqueuedSequenceNumber + 1);
      const events = [...summary(await readEvents(consumer, '0', earliestEventPosition, elementAt(total, 0)))];
      expect(events.slice(0, 10)).toEqual(before.events);
      // Sequence numbers and offsets continue where they were.
      await producer.sendBatch([{ body: 'after-restart' }], { partitionId: '0' });
      const partitionZero = elementAt(before.partitions, 0);
      const next = await readEvents(consumer, '0', { sequenceNumber: partitionZero.lastEnqueuedSequenceNumber }, 1);
      expect(next[0]?.sequenceNumber).toBe(partitionZero.lastEnqueuedSequenceNumber + 1);
      expect(Number(next[0]?.offset)).toBeGreaterThan(Number(partitionZero.lastEnqueuedOffset));
      expect(next[0]?.body).toBe('after-restart');
    });
  });

  it('detects a torn or corrupt tail after a crash, cuts it off and never serves it', async () => {
    const dataDir = await dataDirectory();
    let emulator = await start(config, dataDir);
    const offsets = await withClients(emulator, async (producer, consumer) => {
      for (let i = 0; i < 6; i++) await producer.sendBatch([{ body: `event-${i}` }], { partitionId: '1' });
      return (await readEvents(consumer, '1', earliestEventPosition, 6)).map((event) => Number(event.offset));
    });
    await stop(emulator);

    // A crash in the middle of writing the last event: only part of it reached the disk.
    const segment = elementAt(await segmentFiles(dataDir, '1'), 0);
    const size = (await stat(segment)).size;
    await truncate(segment, size - 5);
    const lines: string[] = [];
    emulator = await start(config, dataDir, lines);
    await withClients(emulator, async (producer, consumer) => {
      const info = await producer.getPartitionProperties('1');
      expect(info.lastEnqueuedSequenceNumber).toBe(4);
      expect(info.lastEnqueuedOffset).toBe(String(offsets[4]));
      expect(lines.some((line) => line.includes('torn record'))).toBe(true);
      await producer.sendBatch([{ body: 'replacement' }], { partitionId: '1' });
      const events = await readEvents(consumer, '1', earliestEventPosition, 6);
      expect(events.map((event) => event.body)).toEqual(['event-0', 'event-1', 'event-2', 'event-3', 'event-4', 'replacement']);
      expect(events[5]?.sequenceNumber).toBe(5);
      expect(Number(events[5]?.offset)).toBe(offsets[5]);
    });
    await stop(emulator);

    // A flipped byte inside the last record fails its checksum: cut as well.
    const bytes = await readFile(segment);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 3) ^ 0xff, bytes.length - 3);
    await writeFile(segment, bytes);
    lines.length = 0;
    emulator = await start(config, dataDir, lines);
    await withClients(emulator, async (producer) => {
      expect((await producer.getPartitionProperties('1')).lastEnqueuedSequenceNumber).toBe(4);
      expect(lines.some((line) => line.includes('checksum mismatch'))).toBe(true);
    });
  });

  it('removes old data by size and by time, whole segments at a time, and keeps the newest', async () => {
    const dataDir = await dataDirectory();
    const sized: EmulatorConfig = {
      eventHubs: [{ name: 'records', partitionCount: 1, retention: { maxBytesPerPartition: 8_192 } }],
      persistence: { segmentBytes: 2_048 },
    };
    let emulator = await start(sized, dataDir);
    await withClients(emulator, async (producer) => {
      for (let i = 0; i < 40; i++) await producer.sendBatch([{ body: Buffer.alloc(500, i) }], { partitionId: '0' });
    });
    await stop(emulator);
    emulator = await start(sized, dataDir);
    await withClients(emulator, async (producer, consumer) => {
      const info = await producer.getPartitionProperties('0');
      expect(info.lastEnqueuedSequenceNumber).toBe(39);
      expect(info.beginningSequenceNumber).toBeGreaterThan(20);
      const held = info.lastEnqueuedSequenceNumber - info.beginningSequenceNumber + 1;
      const events = await readEvents(consumer, '0', earliestEventPosition, held);
      expect(events[0]?.sequenceNumber).toBe(info.beginningSequenceNumber);
      expect((events.at(-1)!.body as Buffer)[0]).toBe(39);
    });
    expect((await segmentFiles(dataDir, '0')).length).toBeLessThanOrEqual(6);
    await stop(emulator);

    // By time: retention of ~0.5 s; the segment written before the pause goes at the next start.
    const timed: EmulatorConfig = {
      eventHubs: [{ name: 'records', partitionCount: 1, retention: { hours: 0.5 / 3600 } }],
      persistence: { segmentBytes: 2_048 },
    };
    emulator = await start(timed, dataDir);
    await new Promise((resolve) => setTimeout(resolve, 700));
    await withClients(emulator, async (producer) => {
      for (let i = 0; i < 8; i++) await producer.sendBatch([{ body: Buffer.alloc(500, 100 + i) }], { partitionId: '0' });
    });
    await stop(emulator);
    emulator = await start(timed, dataDir);
    await withClients(emulator, async (producer) => {
      const info = await producer.getPartitionProperties('0');
      expect(info.lastEnqueuedSequenceNumber).toBe(47);
      expect(info.beginningSequenceNumber).toBeGreaterThanOrEqual(40);
    });
  });

  it('lets only one emulator use a data directory at a time, and takes over a lock left by a dead process', async () => {
    const dataDir = await dataDirectory();
    const first = await start(config, dataDir);
    await expect(startEventHubsEmulator({ config, dataDir, port: 0, log: () => undefined })).rejects.toMatchObject({
      name: 'EmulatorError',
      code: 'DATA_DIR_IN_USE',
      message: expect.stringContaining('in use'),
    });
    await stop(first);
    // A lock from a process that was killed: its pid no longer runs.
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    await writeFile(join(dataDir, 'emulator.lock'), dead.stdout);
    const second = await start(config, dataDir);
    await withClients(second, async (producer) => {
      expect((await producer.getEventHubProperties()).name).toBe('records');
    });
  });
});
