/**
 * Transform under faults, on real parts (SQLite, Azurite for dead letters, the emulator for the
 * aggregates hub): a poison event in a batch, a database that fails for a while, a database that
 * is down for good (dead letter, then replay once it is back).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BlobServiceClient } from '@azure/storage-blob';
import { EventHubProducerClient } from '@azure/event-hubs';
import { startAzurite, type RunningAzurite } from '../../local/azurite/start-azurite.js';
import { startEventHubsEmulator, type RunningEventHubsEmulator } from '../../local/eventhubs-emulator/index.js';
import { openEtlStore } from '../sql/open-etl-store.js';
import type { EtlStore } from '../ports/etl-store.js';
import { iotEventsDataset } from '../datasets/iot-events.js';
import { BlobDeadLetterStore } from '../adapters/blob-dead-letter-store.js';
import { EventHubsEventPublisher } from '../adapters/eventhubs-event-publisher.js';
import { EtlError } from '../errors/etl-error.js';
import { CHUNK_EVENT_TYPE, type ChunkEvent } from '../messages/chunk-event.js';
import { silentLogger } from '../runtime/logger.js';
import { transformBatch, type TransformDependencies } from './transform-handler.js';
import { replayDeadLetter } from './replay-dead-letters.js';

const dataset = iotEventsDataset;
const noSleep = async () => {};

function chunkEvent(fileId: string, chunkIndex: number, firstRow: number, count: number): ChunkEvent {
  const rows = Array.from({ length: count }, (_, index) => {
    const n = firstRow + index;
    const id = `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
    return [id, `device-${String(n % 7).padStart(3, '0')}`, 'temperature', '2026-11-20T10:00:00Z', String(10 + n), '21.5', 'normal', 'lab', '1.0.0'];
  });
  return {
    type: CHUNK_EVENT_TYPE,
    v: 1,
    dataset: dataset.name,
    datasetVersion: dataset.version,
    fileId,
    blobName: `${dataset.name}/${fileId}.csv`,
    chunkIndex,
    rowNumbers: rows.map((_, index) => firstRow + index),
    rows,
  };
}

/** Fails `loadChunk` while `failures` is above zero (or always with Infinity), like a database that is down. */
function flakyStore(store: EtlStore, state: { failures: number; calls: number }): EtlStore {
  return {
    outbox: store.outbox,
    manifest: store.manifest,
    windows: store.windows,
    report: store.report,
    query: store.query,
    migrate: (datasets) => store.migrate(datasets),
    close: () => store.close(),
    facts: {
      loadChunk: (input, build) => {
        state.calls += 1;
        if (state.failures > 0) {
          state.failures -= 1;
          return Promise.reject(new EtlError('SQL_TRANSIENT', 'database unavailable (error 40613)'));
        }
        return store.facts.loadChunk(input, build);
      },
    },
  };
}

describe('transform handler under faults', () => {
  let directory: string;
  let azurite: RunningAzurite;
  let emulator: RunningEventHubsEmulator;
  let store: EtlStore;
  let deadLetters: BlobDeadLetterStore;
  let records: EventHubsEventPublisher;
  let aggregates: EventHubsEventPublisher;
  let fileCounter = 0;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'etl-transform-'));
    azurite = await startAzurite({});
    emulator = await startEventHubsEmulator({
      config: {
        eventHubs: [
          { name: 'records', partitionCount: 2 },
          { name: 'aggregates', partitionCount: 2 },
        ],
      },
      port: 0,
      log: () => {},
    });
    store = await openEtlStore({ driver: 'sqlite', path: join(directory, 'etl.sqlite') });
    await store.migrate([dataset]);
    const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('deadletters');
    await container.createIfNotExists();
    deadLetters = new BlobDeadLetterStore(container);
    records = new EventHubsEventPublisher(new EventHubProducerClient(emulator.connectionString, 'records'), 'records');
    aggregates = new EventHubsEventPublisher(new EventHubProducerClient(emulator.connectionString, 'aggregates'), 'aggregates');
  }, 60_000);

  afterAll(async () => {
    await records?.close();
    await aggregates?.close();
    await store?.close();
    await emulator?.close();
    await azurite?.close();
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  let fileId: string;
  beforeEach(async () => {
    fileCounter += 1;
    fileId = `file-${fileCounter}`;
    await store.manifest.beginFile({ fileId, dataset: dataset.name, blobName: `${dataset.name}/${fileId}.csv`, blobEtag: 'e', receivedAt: new Date().toISOString() });
  });

  const deps = (overrides: Partial<TransformDependencies> = {}): TransformDependencies => ({
    datasets: new Map([[dataset.name, dataset]]),
    store,
    aggregates,
    deadLetters,
    retry: { maxAttempts: 3, baseDelayMs: 1, sleep: noSleep },
    sourceHub: 'records',
    clock: () => new Date(),
    log: silentLogger,
    ...overrides,
  });

  it('loads the rest of a batch and dead-letters the one poison event', async () => {
    const base = fileCounter * 1000;
    await store.manifest.finishExtract(fileId, { totalRows: 20, validRows: 20, rejectedRows: 0, chunks: 2 }, new Date().toISOString());
    const outcome = await transformBatch(deps(), [
      { body: chunkEvent(fileId, 0, base + 1, 10) },
      { body: '{"type":"etl.chunk","v":1,"rows":"not rows"', partitionKey: 'p' },
      { body: chunkEvent(fileId, 1, base + 11, 10) },
    ]);
    expect(outcome).toMatchObject({ chunks: 2, loaded: 20, duplicates: 0, deadLettered: 1 });
    const file = await store.manifest.getFile(fileId);
    expect(file).toMatchObject({ state: 'complete', loadedRows: 20, duplicateRows: 0 });
    const letters = (await deadLetters.list({ stage: 'transform' })).filter((letter) => letter.body.includes('not rows'));
    expect(letters).toHaveLength(1);
    expect(letters[0]!.error).toContain('MALFORMED_EVENT');
    expect(letters[0]!.attempts).toBe(1);
  });

  it('retries a database that fails for a while and loads everything once', async () => {
    const base = fileCounter * 1000;
    const state = { failures: 2, calls: 0 };
    await store.manifest.finishExtract(fileId, { totalRows: 5, validRows: 5, rejectedRows: 0, chunks: 1 }, new Date().toISOString());
    const outcome = await transformBatch(deps({ store: flakyStore(store, state) }), [{ body: chunkEvent(fileId, 0, base + 1, 5) }]);
    expect(state.calls).toBe(3);
    expect(outcome).toMatchObject({ chunks: 1, loaded: 5, deadLettered: 0 });
    expect(await store.manifest.getFile(fileId)).toMatchObject({ state: 'complete', loadedRows: 5 });
  });

  it('dead-letters a chunk while the database is down, and replay loads it once the database is back', async () => {
    const base = fileCounter * 1000;
    const state = { failures: Infinity, calls: 0 };
    const event = chunkEvent(fileId, 0, base + 1, 8);
    await store.manifest.finishExtract(fileId, { totalRows: 8, validRows: 8, rejectedRows: 0, chunks: 1 }, new Date().toISOString());
    const down = await transformBatch(deps({ store: flakyStore(store, state) }), [{ body: event }]);
    expect(down).toMatchObject({ chunks: 0, deadLettered: 1 });
    expect(state.calls).toBe(3);
    const letter = (await deadLetters.list({ stage: 'transform' })).find((candidate) => candidate.fileId === fileId)!;
    expect(letter.error).toContain('40613');
    expect(await store.manifest.getFile(fileId)).toMatchObject({ state: 'loading', loadedRows: 0, chunksDeadLettered: 1 });

    // Replay puts the event back on the records hub; transform (here: called directly) loads it.
    await replayDeadLetter({ deadLetters, publishers: new Map([['records', records]]), manifest: store.manifest, clock: () => new Date() }, letter.id);
    expect((await deadLetters.get(letter.id))!.replayedAt).not.toBeNull();
    const again = await transformBatch(deps(), [{ body: JSON.parse(letter.body) as unknown }]);
    expect(again).toMatchObject({ chunks: 1, loaded: 8 });
    expect(await store.manifest.getFile(fileId)).toMatchObject({ state: 'complete', loadedRows: 8, chunksDeadLettered: 0 });
  });
});
