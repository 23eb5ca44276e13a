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
import { flakyStore, iotChunkEvent, keyRange } from './test/handler-fixtures.js';
import { silentLogger } from '../runtime/logger.js';
import { EtlError } from '../errors/etl-error.js';
import { factsOfChunk, transformBatch, type TransformDependencies } from './transform-handler.js';
import { planTransactions } from './transaction-plan.js';
import { relayOutbox } from './outbox-relay.js';
import { replayDeadLetter } from './replay-dead-letters.js';

const dataset = iotEventsDataset;
const noSleep = async () => {};

describe('planTransactions', () => {
  const other = { ...iotEventsDataset, name: 'other_events' };
  const chunks = (...specs: [typeof iotEventsDataset, number][]) =>
    specs.map(([dataset, rows]) => ({ dataset, facts: new Array<never>(rows) }));

  it('cuts a run of one dataset into transactions of about equal size, never above the limit', () => {
    const eleven = chunks(...Array.from({ length: 11 }, (): [typeof iotEventsDataset, number] => [iotEventsDataset, 10]));
    // 110 rows with a limit of 100: 60 + 50, not 100 + 10.
    expect(planTransactions(eleven, 100)).toEqual([
      [0, 1, 2, 3, 4, 5],
      [6, 7, 8, 9, 10],
    ]);
    expect(planTransactions(eleven.slice(0, 5), 25)).toEqual([[0, 1], [2, 3], [4]]);
    expect(planTransactions(eleven, 1000)).toEqual([[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]]);
  });

  it('keeps each transaction to one dataset and lets a chunk above the limit go alone', () => {
    expect(planTransactions(chunks([iotEventsDataset, 10], [iotEventsDataset, 10], [other, 10], [iotEventsDataset, 10]), 100)).toEqual([
      [0, 1],
      [2],
      [3],
    ]);
    expect(planTransactions(chunks([iotEventsDataset, 150], [iotEventsDataset, 10]), 100)).toEqual([[0], [1]]);
    expect(planTransactions([], 100)).toEqual([]);
  });
});

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
    await store.manifest.beginFile({
      fileId,
      dataset: dataset.name,
      blobName: `${dataset.name}/${fileId}.csv`,
      blobEtag: 'e',
      receivedAt: new Date().toISOString(),
    });
  });

  const deps = (overrides: Partial<TransformDependencies> = {}): TransformDependencies => ({
    datasets: new Map([[dataset.name, dataset]]),
    store,
    aggregates,
    deadLetters,
    retry: { maxAttempts: 3, baseDelayMs: 1, budgetMs: 60_000, sleep: noSleep },
    sourceHub: 'records',
    clock: () => new Date(),
    log: silentLogger,
    ...overrides,
  });

  it('loads the rest of a batch and dead-letters the one poison event', async () => {
    const base = fileCounter * 1000;
    await store.manifest.finishExtract(fileId, { totalRows: 20, validRows: 20, rejectedRows: 0, chunks: 2 }, new Date().toISOString());
    const outcome = await transformBatch(deps(), [
      { body: iotChunkEvent(fileId, 0, keyRange(base + 1, 10)) },
      { body: '{"type":"etl.chunk","v":1,"rows":"not rows"', partitionKey: 'p' },
      { body: iotChunkEvent(fileId, 1, keyRange(base + 11, 10)) },
    ]);
    expect(outcome).toMatchObject({ chunks: 2, loaded: 20, duplicates: 0, deadLettered: 1 });
    const file = await store.manifest.getFile(fileId);
    expect(file).toMatchObject({ state: 'complete', loadedRows: 20, duplicateRows: 0 });
    const letters = (await deadLetters.list({ stage: 'transform' })).filter((letter) => letter.body.includes('not rows'));
    expect(letters).toHaveLength(1);
    expect(letters[0]!.error).toContain('MALFORMED_EVENT');
    expect(letters[0]!.attempts).toBe(1);
  });

  it('parks a chunk cut against an earlier version of its dataset instead of typing it by position against the new columns', async () => {
    const base = fileCounter * 1000;
    await store.manifest.finishExtract(fileId, { totalRows: 4, validRows: 4, rejectedRows: 0, chunks: 1 }, new Date().toISOString());
    // Version 2 swaps two numeric columns: a version-1 row would type, with each value in the other's column.
    const columns = [...dataset.columns];
    const duration = columns.findIndex((column) => column.name === 'event_duration');
    const value = columns.findIndex((column) => column.name === 'value');
    [columns[duration], columns[value]] = [columns[value]!, columns[duration]!];
    const redeclared = { ...dataset, version: dataset.version + 1, columns };
    const outcome = await transformBatch(deps({ datasets: new Map([[dataset.name, redeclared]]) }), [
      { body: iotChunkEvent(fileId, 0, keyRange(base + 1, 4)) },
    ]);
    expect(outcome).toMatchObject({ chunks: 0, loaded: 0, deadLettered: 1 });
    expect(await store.query.countFacts(dataset, { fileId })).toBe(0);
    const letters = (await deadLetters.list({ stage: 'transform' })).filter((letter) => letter.fileId === fileId);
    expect(letters).toHaveLength(1);
    expect(letters[0]!.error).toMatch(
      /STALE_DATASET_VERSION: chunk .*\/0 was cut against version 1 of dataset 'iot_events', which is declared as version 2 now/,
    );
    expect(await store.manifest.getFile(fileId)).toMatchObject({ state: 'loading', loadedRows: 0, chunksDeadLettered: 1 });
  });

  it('counts a redelivered poison chunk on its file once', async () => {
    const base = fileCounter * 1000;
    await store.manifest.finishExtract(fileId, { totalRows: 3, validRows: 3, rejectedRows: 0, chunks: 1 }, new Date().toISOString());
    const { recording } = recordingStore(`${fileId}/0`);
    const poison = { body: iotChunkEvent(fileId, 0, keyRange(base + 1, 3)) };
    // The host delivers the batch again (it died before its checkpoint): the chunk fails again.
    await transformBatch(deps({ store: recording }), [poison]);
    await transformBatch(deps({ store: recording }), [poison]);
    expect((await deadLetters.list({ stage: 'transform' })).filter((letter) => letter.fileId === fileId)).toHaveLength(1);
    expect(await store.manifest.getFile(fileId)).toMatchObject({ state: 'loading', chunksDeadLettered: 1 });
  });

  /** A store that records its load calls and refuses, non-transiently, every call holding `refused`. */
  function recordingStore(refused?: string) {
    const calls: string[][] = [];
    const check = (ids: string[]) => {
      calls.push(ids);
      if (refused && ids.includes(refused)) throw new EtlError('SQL_FAILED', `chunk ${refused} violates a constraint`);
    };
    const recording: EtlStore = Object.create(store) as EtlStore;
    Object.defineProperty(recording, 'facts', {
      value: {
        loadChunk: async (input, build) => (check([input.chunkId]), store.facts.loadChunk(input, build)),
        loadChunks: async (inputs, build) => (check(inputs.map((input) => input.chunkId)), store.facts.loadChunks(inputs, build)),
      } satisfies EtlStore['facts'],
    });
    return { recording, calls };
  }

  it('loads a batch in transactions of whole chunks up to transactionRows rows', async () => {
    const base = fileCounter * 1000;
    await store.manifest.finishExtract(fileId, { totalRows: 50, validRows: 50, rejectedRows: 0, chunks: 5 }, new Date().toISOString());
    const { recording, calls } = recordingStore();
    const events = [0, 1, 2, 3, 4].map((index) => ({ body: iotChunkEvent(fileId, index, keyRange(base + 1 + index * 10, 10)) }));
    const outcome = await transformBatch(deps({ store: recording, transactionRows: 25 }), events);
    expect(calls).toEqual([[`${fileId}/0`, `${fileId}/1`], [`${fileId}/2`, `${fileId}/3`], [`${fileId}/4`]]);
    expect(outcome).toMatchObject({ chunks: 5, loaded: 50, deadLettered: 0 });
    expect(await store.manifest.getFile(fileId)).toMatchObject({ state: 'complete', loadedRows: 50 });
  });

  it('loads chunk by chunk when the shared transaction fails, so only the chunk the database refuses is dead-lettered', async () => {
    const base = fileCounter * 1000;
    await store.manifest.finishExtract(fileId, { totalRows: 30, validRows: 30, rejectedRows: 0, chunks: 3 }, new Date().toISOString());
    const { recording, calls } = recordingStore(`${fileId}/1`);
    const events = [0, 1, 2].map((index) => ({ body: iotChunkEvent(fileId, index, keyRange(base + 1 + index * 10, 10)) }));
    const outcome = await transformBatch(deps({ store: recording }), events);
    expect(calls[0]).toEqual([`${fileId}/0`, `${fileId}/1`, `${fileId}/2`]);
    expect(outcome).toMatchObject({ chunks: 2, loaded: 20, deadLettered: 1 });
    const letters = (await deadLetters.list({ stage: 'transform' })).filter((letter) => letter.fileId === fileId);
    expect(letters.map((letter) => (JSON.parse(letter.body) as { chunkIndex: number }).chunkIndex)).toEqual([1]);
    expect(letters[0]!.error).toContain('violates a constraint');
    // A permanent error is not retried: the group once, then each chunk once.
    expect(calls).toHaveLength(4);
    expect(letters[0]!.attempts).toBe(1);
    expect(await store.manifest.getFile(fileId)).toMatchObject({
      state: 'loading',
      loadedRows: 20,
      chunksLoaded: 2,
      chunksDeadLettered: 1,
    });
  });

  it('parks a batch whose database stays down within one retry budget, not one per chunk', async () => {
    const base = fileCounter * 1000;
    await store.manifest.finishExtract(fileId, { totalRows: 15, validRows: 15, rejectedRows: 0, chunks: 3 }, new Date().toISOString());
    let now = 0;
    const retry = {
      maxAttempts: 100,
      baseDelayMs: 100,
      budgetMs: 2_000,
      random: () => 0.5,
      now: () => now,
      sleep: async (ms: number) => void (now += ms),
    };
    const state = { failures: Infinity, calls: 0 };
    const events = [0, 1, 2].map((index) => ({ body: iotChunkEvent(fileId, index, keyRange(base + 1 + index * 5, 5)) }));
    // One chunk per transaction: three groups, each of which would have had its own retries.
    const outcome = await transformBatch(deps({ store: flakyStore(store, state), transactionRows: 5, retry }), events);
    expect(outcome).toMatchObject({ chunks: 0, deadLettered: 3 });
    // 100 + 200 + 400 + 800 ms of waits; the next (1,600 ms) would pass the budget.
    expect(state.calls).toBe(5);
    expect(now).toBe(1_500);
    const letters = (await deadLetters.list({ stage: 'transform' })).filter((letter) => letter.fileId === fileId);
    expect(letters.map((letter) => letter.attempts).sort()).toEqual([0, 0, 5]);
    expect(letters.find((letter) => letter.attempts === 0)!.error).toMatch(
      /not attempted: this invocation's retry budget \(2000 ms\) was spent on: .*40613/,
    );
  });

  it('retries a database that fails for a while and loads everything once', async () => {
    const base = fileCounter * 1000;
    const state = { failures: 2, calls: 0 };
    await store.manifest.finishExtract(fileId, { totalRows: 5, validRows: 5, rejectedRows: 0, chunks: 1 }, new Date().toISOString());
    const outcome = await transformBatch(deps({ store: flakyStore(store, state) }), [
      { body: iotChunkEvent(fileId, 0, keyRange(base + 1, 5)) },
    ]);
    expect(state.calls).toBe(3);
    expect(outcome).toMatchObject({ chunks: 1, loaded: 5, deadLettered: 0 });
    expect(await store.manifest.getFile(fileId)).toMatchObject({ state: 'complete', loadedRows: 5 });
  });

  it('dead-letters a chunk while the database is down, and replay loads it once the database is back', async () => {
    const base = fileCounter * 1000;
    const state = { failures: Infinity, calls: 0 };
    const event = iotChunkEvent(fileId, 0, keyRange(base + 1, 8));
    await store.manifest.finishExtract(fileId, { totalRows: 8, validRows: 8, rejectedRows: 0, chunks: 1 }, new Date().toISOString());
    const down = await transformBatch(deps({ store: flakyStore(store, state) }), [{ body: event }]);
    expect(down).toMatchObject({ chunks: 0, deadLettered: 1 });
    expect(state.calls).toBe(3);
    const letter = (await deadLetters.list({ stage: 'transform' })).find((candidate) => candidate.fileId === fileId)!;
    expect(letter.error).toContain('40613');
    expect(await store.manifest.getFile(fileId)).toMatchObject({ state: 'loading', loadedRows: 0, chunksDeadLettered: 1 });

    // Replay puts the event back on the records hub; transform (here: called directly) loads it.
    await replayDeadLetter(
      { deadLetters, publishers: new Map([['records', records]]), manifest: store.manifest, clock: () => new Date() },
      letter.id,
    );
    expect((await deadLetters.get(letter.id))!.replayedAt).not.toBeNull();
    const again = await transformBatch(deps(), [{ body: JSON.parse(letter.body) as unknown }]);
    expect(again).toMatchObject({ chunks: 1, loaded: 8 });
    expect(await store.manifest.getFile(fileId)).toMatchObject({ state: 'complete', loadedRows: 8, chunksDeadLettered: 0 });
  });
  it('relays the outbox past a message the hub refuses: the others are published, the refused one stays', async () => {
    for (let page = await store.outbox.listUnpublished(500); page.length > 0; page = await store.outbox.listUnpublished(500)) {
      await store.outbox.markPublished(page.map((message) => message.id));
    }
    const base = fileCounter * 1000;
    const facts = factsOfChunk(dataset, iotChunkEvent(fileId, 0, keyRange(base + 1, 3)));
    await store.facts.loadChunk({ dataset, fileId, chunkId: `${fileId}/0`, facts }, (_newFacts, idPrefix) => [
      { id: `${idPrefix}/small-1`, destination: 'aggregates', partitionKey: 'a', body: '{"n":1}' },
      // Over the 1 MB event limit: neither the SDK nor the hub takes it.
      { id: `${idPrefix}/huge`, destination: 'aggregates', partitionKey: 'a', body: JSON.stringify({ pad: 'x'.repeat(1_200_000) }) },
      { id: `${idPrefix}/small-2`, destination: 'aggregates', partitionKey: 'b', body: '{"n":2}' },
    ]);
    const relay = { store, aggregates, clock: () => new Date(), log: silentLogger };
    await expect(relayOutbox(relay, { minAgeMs: 0, limit: 100 })).rejects.toThrow();
    expect((await store.outbox.listUnpublished(100)).map((message) => message.id)).toEqual([`${fileId}/0/huge`]);
    await store.outbox.markPublished([`${fileId}/0/huge`]);
  });

  it('relays each outbox message to its destination: one with no publisher stays, the others go', async () => {
    for (let page = await store.outbox.listUnpublished(500); page.length > 0; page = await store.outbox.listUnpublished(500)) {
      await store.outbox.markPublished(page.map((message) => message.id));
    }
    const base = fileCounter * 1000;
    const facts = factsOfChunk(dataset, iotChunkEvent(fileId, 0, keyRange(base + 1, 3)));
    await store.facts.loadChunk({ dataset, fileId, chunkId: `${fileId}/0`, facts }, (_newFacts, idPrefix) => [
      { id: `${idPrefix}/elsewhere`, destination: 'reports', partitionKey: 'a', body: '{"n":1}' },
      { id: `${idPrefix}/partials`, destination: 'aggregates', partitionKey: 'b', body: '{"n":2}' },
    ]);
    const relay = { store, aggregates, clock: () => new Date(), log: silentLogger };
    await expect(relayOutbox(relay, { minAgeMs: 0, limit: 100 })).rejects.toThrow(/is for 'reports', which has no publisher/);
    expect((await store.outbox.listUnpublished(100)).map((message) => message.id)).toEqual([`${fileId}/0/elsewhere`]);
    await store.outbox.markPublished([`${fileId}/0/elsewhere`]);
  });
});
