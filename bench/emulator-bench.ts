/**
 * `npm run bench:emulator [-- --sync fsync|none --large-mb 1024 --small-events 300000]`
 *
 * Drives the local Event Hubs emulator with the official SDK over loopback, persistence on, and
 * prints sustained ingest and read rates for 256 KB events and for 1 KB events in batches. The
 * emulator runs in its own process (as in `npm start`), so the SDK's own CPU cost does not count
 * against it. Targets on the 2-core dev machine: ≥ 100 MB/s with 256 KB events, ≥ 30,000 events/s
 * with 1 KB events, reads at least as fast.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { EventHubConsumerClient, EventHubProducerClient, earliestEventPosition, type EventData } from '@azure/event-hubs';

const { values } = parseArgs({
  options: {
    sync: { type: 'string', default: 'fsync' },
    'large-mb': { type: 'string', default: '1536' },
    'small-events': { type: 'string', default: '400000' },
    partitions: { type: 'string', default: '4' },
    /** Benchmark an emulator that is already running (with hubs 'large' and 'small') instead of starting one. */
    'connection-string': { type: 'string' },
  },
});
const PARTITIONS = Number(values.partitions);
const LARGE_BYTES = 256 * 1024;
const SMALL_BYTES = 1024;

async function startEmulatorProcess(dataDir: string, sync: string): Promise<{ connectionString: string; stop(): Promise<void> }> {
  const config = join(dataDir, 'config.json');
  await writeFile(
    config,
    JSON.stringify({
      eventHubs: [
        { name: 'large', partitionCount: PARTITIONS },
        { name: 'small', partitionCount: PARTITIONS },
      ],
      persistence: { sync },
    }),
  );
  const bin = new URL('../bin/eventhubs-emulator.js', import.meta.url).pathname;
  const child = spawn(process.execPath, [bin, '--config', config, '--data-dir', join(dataDir, 'data'), '--port', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const connectionString = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`emulator exited with ${code}`)));
  });
  return {
    connectionString,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** Sends `batches` batches per partition, one sender loop per partition, and returns seconds taken. */
async function ingest(producer: EventHubProducerClient, events: (partition: number) => EventData[], batches: number): Promise<number> {
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: PARTITIONS }, async (_, partition) => {
      // Two batches in flight per partition keep the link busy while the previous one is fsynced.
      const inFlight: Promise<void>[] = [];
      for (let i = 0; i < batches; i++) {
        inFlight.push(producer.sendBatch(events(partition), { partitionId: String(partition) }));
        if (inFlight.length >= 2) await inFlight.shift();
      }
      await Promise.all(inFlight);
    }),
  );
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** Reads every partition from the start until `perPartition` events each; returns seconds and bytes. */
async function readAll(
  consumer: EventHubConsumerClient,
  perPartition: number,
  maxBatchSize: number,
): Promise<{ seconds: number; bytes: number }> {
  const started = process.hrtime.bigint();
  let bytes = 0;
  await Promise.all(
    Array.from(
      { length: PARTITIONS },
      (_, partition) =>
        new Promise<void>((resolve, reject) => {
          let count = 0;
          const subscription = consumer.subscribe(
            String(partition),
            {
              processEvents: async (events) => {
                for (const event of events) bytes += (event.body as Buffer).length;
                count += events.length;
                if (count >= perPartition) void subscription.close().then(resolve);
              },
              processError: async (error) => reject(error),
            },
            // Bodies stay Buffers: the SDK's JSON.parse attempt per event would be measured, not the emulator.
            { startPosition: earliestEventPosition, maxBatchSize, maxWaitTimeInSeconds: 1, skipParsingBodyAsJson: true },
          );
        }),
    ),
  );
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, bytes };
}

async function main(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'eh-bench-'));
  const external = values['connection-string'];
  const emulator = external
    ? { connectionString: external, stop: async () => undefined }
    : await startEmulatorProcess(dataDir, values.sync!);
  const results: string[] = [];
  try {
    // 256 KB events, three to a batch (just under the 1 MB limit).
    const large = new EventHubProducerClient(emulator.connectionString, 'large');
    const body = Buffer.alloc(LARGE_BYTES, 0x5a);
    const largeBatches = Math.ceil((Number(values['large-mb']) * 1024 * 1024) / (3 * LARGE_BYTES * PARTITIONS));
    await ingest(large, () => [{ body }], 2); // warm-up: links, JIT
    const largeSeconds = await ingest(large, () => [{ body }, { body }, { body }], largeBatches);
    const largeEvents = largeBatches * 3 * PARTITIONS;
    const largeMb = (largeEvents * LARGE_BYTES) / 1024 / 1024;
    console.error('ingest 256 KB done');
    results.push(
      `ingest 256 KB events: ${largeEvents} events, ${largeMb.toFixed(0)} MB in ${largeSeconds.toFixed(2)} s = ${(largeMb / largeSeconds).toFixed(1)} MB/s`,
    );
    await large.close();
    const largeReader = new EventHubConsumerClient('$default', emulator.connectionString, 'large');
    const largeRead = await readAll(largeReader, largeEvents / PARTITIONS + 2, 50);
    const readMb = largeRead.bytes / 1024 / 1024;
    console.error('read 256 KB done');
    results.push(
      `read   256 KB events: ${readMb.toFixed(0)} MB in ${largeRead.seconds.toFixed(2)} s = ${(readMb / largeRead.seconds).toFixed(1)} MB/s`,
    );
    await largeReader.close();

    // 1 KB events, 900 to a batch.
    const small = new EventHubProducerClient(emulator.connectionString, 'small');
    const smallBody = Buffer.alloc(SMALL_BYTES, 0x61);
    const perBatch = 900;
    const smallBatches = Math.ceil(Number(values['small-events']) / (perBatch * PARTITIONS));
    const smallBatch = Array.from({ length: perBatch }, () => ({ body: smallBody }));
    await ingest(small, () => smallBatch.slice(0, 10), 2);
    const smallSeconds = await ingest(small, () => smallBatch, smallBatches);
    const smallEvents = smallBatches * perBatch * PARTITIONS;
    console.error('ingest 1 KB done');
    results.push(
      `ingest 1 KB events:   ${smallEvents} events in ${smallSeconds.toFixed(2)} s = ${Math.round(smallEvents / smallSeconds)} events/s`,
    );
    await small.close();
    const smallReader = new EventHubConsumerClient('$default', emulator.connectionString, 'small');
    const smallRead = await readAll(smallReader, smallEvents / PARTITIONS + 20, 1000);
    results.push(
      `read   1 KB events:   ${smallEvents + 20 * PARTITIONS} events in ${smallRead.seconds.toFixed(2)} s = ${Math.round((smallEvents + 20 * PARTITIONS) / smallRead.seconds)} events/s`,
    );
    await smallReader.close();
  } finally {
    await emulator.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
  console.log(`Event Hubs emulator benchmark (${PARTITIONS} partitions, sync=${values.sync}, SDK in a separate process)`);
  for (const line of results) console.log(`  ${line}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
