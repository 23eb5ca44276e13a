/**
 * The pipeline end to end on the real local stack (Azurite + Event Hubs emulator + SQLite + the
 * local Functions host running the app's registrations): CSV files in `landing` → facts and window
 * aggregates in SQL, with every row accounted for.
 *
 * Everything that changes the store happens in `beforeAll`; each test then holds whatever order
 * the tests run in (or alone, with `-t`): none counts on another one's files or events.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventHubConsumerClient, EventHubProducerClient, earliestEventPosition } from '@azure/event-hubs';
import { startLocalStack, type LocalStack } from '../../local/cli/local-stack.js';
import { REPLAY_CONSUMER_GROUP } from '../../local/cli/pipeline-hubs.js';
import { EVENTHUB_CHECKPOINT_CONTAINER } from '../../shared/config/app-settings.js';
import { getEtlRuntime, type EtlRuntime } from '../../shared/runtime/etl-runtime.js';
import { generateIotCsv } from '../../local/sample-data/iot-csv-generator.js';
import { iotEventsDataset } from '../../shared/datasets/iot-events.js';
import { windowQuantile } from '../../shared/aggregates/window-aggregate.js';
import { transformBatch } from '../../shared/handlers/transform-handler.js';
import { extractFile } from '../../shared/handlers/extract-handler.js';
import { silentLogger } from '../../shared/runtime/logger.js';
import type { FileManifest } from '../../shared/ports/file-manifest.js';
import { rejectedBlobName } from '../../shared/adapters/blob-rejected-row-sink.js';
import { waitFor as pollFor } from '../../local/host/test/wait-for.js';

/** Polls every 200 ms; the deadline only bounds a hang. */
const waitFor = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> =>
  pollFor(what, probe, timeoutMs, 200);

const dataset = iotEventsDataset;

async function collect(chunks: AsyncIterable<string> | Iterable<string>): Promise<string> {
  let text = '';
  for await (const chunk of chunks) text += chunk;
  return text;
}

/** Split CSV text (no embedded newlines in generated data) into parts that each carry the header. */
function splitCsv(text: string, parts: number): string[] {
  const [header, ...lines] = text.split('\n').filter((line) => line.length > 0);
  const size = Math.ceil(lines.length / parts);
  return Array.from({ length: parts }, (_, index) => `${header}\n${lines.slice(index * size, (index + 1) * size).join('\n')}\n`);
}

function exactQuantileBounds(values: number[], q: number): [number, number] {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = q * (sorted.length - 1);
  return [sorted[Math.floor(rank)]!, sorted[Math.ceil(rank)]!];
}

// Tests here wait up to 120 s for the pipeline (waitFor): a per-test timeout above that lets a slow,
// loaded machine reach those deadlines and their messages instead of vitest's bare 60 s timeout.
describe('pipeline end to end on the local stack', { timeout: 180_000 }, () => {
  let stateDir: string;
  let stack: LocalStack;
  let runtime: EtlRuntime;
  let expected: { rows: number; badRows: number; duplicateRows: number; distinctKeys: number };
  let files: FileManifest[];
  /** Rows of the file uploaded after the poison event: all valid, none seen before. */
  const afterPoisonRows = 300;
  const poisonText = 'this is not a chunk event';
  const upload = (name: string, text: string) =>
    stack.blobService.getContainerClient(stack.config.containers.landing).getBlockBlobClient(name).upload(text, Buffer.byteLength(text));

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'etl-e2e-'));
    stack = await startLocalStack({
      stateDir,
      ports: 'free',
      partitions: 4,
      scanIntervalMs: 200,
      fastLoadBalancing: true,
      // Two host instances (this process and a child) share the partitions and the landing queue.
      instances: 2,
      settings: { ETL_CHUNK_MAX_ROWS: '250', ETL_RETRY_BASE_MS: '20', ETL_MAX_ATTEMPTS: '3' },
      log: () => {},
    });
    runtime = await getEtlRuntime();

    const generated = generateIotCsv({ rows: 6000, seed: 7, duplicateRate: 0.02, badRowRate: 0.01, spreadMinutes: 60 * 24 * 2 });
    const text = await collect(generated.chunks);
    expected = generated.expected();
    const parts = splitCsv(text, 3);
    for (const [index, part] of parts.entries()) await upload(`iot_events/part-${index}.csv`, part);
    const settled = (count: number) => async () => {
      const list = await runtime.store.manifest.listFiles({ limit: 100 });
      return list.length === count && list.every((file) => file.state === 'complete' || file.state === 'failed') ? [...list] : undefined;
    };
    await waitFor('the three parts to complete', settled(3));
    // Some rows again in another file, once the originals are in: all of them must come out as duplicates.
    await upload('iot_events/re-upload.csv', splitCsv(parts[0]!, 5)[0]!);
    await waitFor('the re-upload to complete', settled(4));
    // An event that is not a chunk, then a file behind it on the same hub.
    const producer = new EventHubProducerClient(stack.eventHubsConnectionString, stack.config.hubs.records);
    try {
      await producer.sendBatch([{ body: poisonText }], { partitionId: '0' });
    } finally {
      await producer.close();
    }
    await upload(
      'iot_events/after-poison.csv',
      await collect(generateIotCsv({ rows: afterPoisonRows, seed: 99, duplicateRate: 0, badRowRate: 0 }).chunks),
    );
    files = await waitFor('all files to complete', settled(5));
    // The aggregates hop trails the facts: wait until the windows account for every loaded row.
    const loaded = files.reduce((sum, file) => sum + file.loadedRows, 0);
    await waitFor('windows to hold every loaded row', async () => {
      const windows = await runtime.store.windows.listWindows(dataset, { limit: 1_000_000 });
      return windows.reduce((sum, window) => sum + window.count, 0) === loaded ? true : undefined;
    });
  }, 240_000);

  afterAll(async () => {
    await stack?.close();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  it('accounts for every row of every file', async () => {
    expect(files.every((file) => file.state === 'complete')).toBe(true);
    for (const file of files) {
      expect(file.totalRows).toBe(file.validRows + file.rejectedRows);
      expect(file.validRows).toBe(file.loadedRows + file.duplicateRows);
      expect(file.chunksLoaded).toBe(file.chunks);
    }
    expect(files).toHaveLength(5);
    const parts = files.filter((file) => file.blobName.includes('/part-'));
    expect(parts.reduce((sum, file) => sum + file.totalRows, 0)).toBe(expected.rows);
    expect(parts.reduce((sum, file) => sum + file.rejectedRows, 0)).toBe(expected.badRows);
    const reUpload = files.find((file) => file.blobName.endsWith('re-upload.csv'))!;
    expect(reUpload.loadedRows).toBe(0);
    expect(reUpload.duplicateRows).toBe(reUpload.validRows);
    expect(reUpload.validRows).toBeGreaterThan(0);
  });

  it('does not extract the same content at the same path twice', async () => {
    const before = await runtime.store.manifest.listFiles({ limit: 100 });
    const part = (
      await stack.blobService
        .getContainerClient(stack.config.containers.landing)
        .getBlockBlobClient('iot_events/part-1.csv')
        .downloadToBuffer()
    ).toString('utf8');
    await upload('iot_events/part-1.csv', part);
    const outcome = await extractFile(runtime.extractDependencies(silentLogger), {
      container: stack.config.containers.landing,
      blobName: 'iot_events/part-1.csv',
    });
    expect(outcome).toMatchObject({ status: 'skipped', reason: 'already extracted' });
    const after = await runtime.store.manifest.listFiles({ limit: 100 });
    expect(after.map((file) => file.fileId).sort()).toEqual(before.map((file) => file.fileId).sort());
    expect(after.filter((file) => file.blobName === 'iot_events/part-1.csv')).toHaveLength(1);
  });

  it('shares the partitions between the two host instances through the checkpoint store', async () => {
    const owners = await waitFor(
      'both instances to own partitions',
      async () => {
        const found = new Set<string>();
        const container = stack.blobService.getContainerClient(EVENTHUB_CHECKPOINT_CONTAINER);
        for await (const blob of container.listBlobsFlat({
          prefix: `localhost/${stack.config.hubs.records}/${stack.config.hubs.transformConsumerGroup}/ownership/`,
          includeMetadata: true,
        })) {
          if (blob.metadata?.ownerid) found.add(blob.metadata.ownerid);
        }
        return found.size >= 2 ? found : undefined;
      },
      30_000,
    );
    expect(owners.size).toBe(2);
  });

  it('loads each key once: facts = loaded rows = distinct valid keys', async () => {
    const facts = await runtime.store.query.countFacts(dataset);
    expect(facts).toBe(files.reduce((sum, file) => sum + file.loadedRows, 0));
    expect(facts).toBe(expected.distinctKeys + afterPoisonRows);
  });

  it('writes every rejected row with its reason to the rejected container', async () => {
    const file = files.find((candidate) => candidate.rejectedRows > 0)!;
    const blob = stack.blobService
      .getContainerClient(stack.config.containers.rejected)
      .getBlockBlobClient(rejectedBlobName(file.dataset, file.fileId));
    const lines = (await blob.downloadToBuffer()).toString('utf8').trim().split('\n');
    expect(lines).toHaveLength(file.rejectedRows);
    const first = JSON.parse(lines[0]!) as { rowNumber: number; reason: string; raw: string };
    expect(first.rowNumber).toBeGreaterThan(0);
    expect(first.reason.length).toBeGreaterThan(0);
  });

  it('keeps every window row equal to a GROUP BY over the facts', async () => {
    const windows = await runtime.store.windows.listWindows(dataset, { limit: 1_000_000 });
    const exact = await runtime.store.query.groupByWindow(dataset);
    expect(windows.length).toBe(exact.length);
    const byKey = new Map(exact.map((row) => [`${row.windowStart}|${row.dimensionKey}`, row]));
    for (const window of windows) {
      const truth = byKey.get(`${window.windowStart}|${window.dimensionKey}`);
      expect(truth, `window ${window.windowStart} ${window.dimensionKey}`).toBeDefined();
      expect(window.count).toBe(truth!.count);
      for (const measure of dataset.measures) {
        expect(window.measures[measure]!.sum).toBeCloseTo(truth!.measures[measure]!.sum, 6);
        expect(window.measures[measure]!.min).toBe(truth!.measures[measure]!.min);
        expect(window.measures[measure]!.max).toBe(truth!.measures[measure]!.max);
      }
    }
  });

  it('keeps sketch p95 within the sketch error bound of the exact p95', async () => {
    const windows = [...(await runtime.store.windows.listWindows(dataset, { limit: 1_000_000 }))]
      .sort((a, b) => b.count - a.count)
      .slice(0, 10);
    for (const window of windows) {
      const values = await runtime.store.query.measureValues(dataset, 'event_duration', {
        windowStart: window.windowStart,
        dimensionKey: window.dimensionKey,
      });
      const [low, high] = exactQuantileBounds(values, 0.95);
      const alpha = window.sketches.event_duration!.alpha;
      const estimate = windowQuantile(window, 'event_duration', 0.95);
      expect(estimate).toBeGreaterThanOrEqual(low * (1 - alpha) - 1e-9);
      expect(estimate).toBeLessThanOrEqual(high * (1 + alpha) + 1e-9);
    }
  });

  it('changes nothing when the records hub is replayed from the start with a fresh consumer group', async () => {
    const before = await runtime.store.manifest.listFiles({ limit: 100 });
    const factsBefore = await runtime.store.query.countFacts(dataset);
    const totalChunks = before.reduce((sum, file) => sum + file.chunks, 0);
    const consumer = new EventHubConsumerClient(REPLAY_CONSUMER_GROUP, stack.eventHubsConnectionString, stack.config.hubs.records);
    let seen = 0;
    let alreadyApplied = 0;
    let failure: Error | undefined;
    const subscription = consumer.subscribe(
      {
        processEvents: async (events) => {
          // Chunk events only: the poison event on the hub is the next test's subject.
          const chunks = events.filter((event) => event.properties?.fileId !== undefined);
          const outcome = await transformBatch(
            runtime.transformDependencies(silentLogger),
            chunks.map((event) => ({ body: event.body, properties: event.properties })),
          );
          seen += chunks.length;
          alreadyApplied += outcome.alreadyApplied;
        },
        processError: async (error) => {
          failure = error;
        },
      },
      { startPosition: earliestEventPosition, maxBatchSize: 50, maxWaitTimeInSeconds: 1 },
    );
    try {
      await waitFor('the replay to read every chunk', async () => (seen >= totalChunks ? true : undefined), 60_000);
    } finally {
      await subscription.close();
      await consumer.close();
    }
    expect(failure).toBeUndefined();
    expect(seen).toBe(totalChunks);
    expect(alreadyApplied).toBe(totalChunks);
    expect(await runtime.store.query.countFacts(dataset)).toBe(factsBefore);
    const after = await runtime.store.manifest.listFiles({ limit: 100 });
    const strip = (list: readonly FileManifest[]) =>
      [...list].sort((a, b) => a.fileId.localeCompare(b.fileId)).map(({ updatedAt: _updatedAt, ...rest }) => rest);
    expect(strip(after)).toEqual(strip(before));
  });

  it('parks a poison event in dead letters and still loads the other rows', async () => {
    const file = files.find((candidate) => candidate.blobName.endsWith('after-poison.csv'));
    expect(file).toMatchObject({ state: 'complete', loadedRows: afterPoisonRows });
    const letters = await waitFor('the dead letter', async () => {
      const list = await runtime.deadLetters.list({ stage: 'transform' });
      return list.length > 0 ? list : undefined;
    });
    expect(letters).toHaveLength(1);
    expect(letters[0]!.body).toContain(poisonText);
    expect(letters[0]!.error).toMatch(/MALFORMED_EVENT|not a chunk event/);
  });
});
