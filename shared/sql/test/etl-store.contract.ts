/**
 * The one contract suite for every SQL adapter. Each adapter's `*.test.ts` calls
 * `describeEtlStoreContract` with a way to get a config; everything goes through `openEtlStore`
 * unless the target brings its own `open` (then the two-process case, which opens by config in
 * child processes, is skipped).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import type { DatasetDeclaration, Fact } from '../../datasets/dataset-declaration.js';
import type { ChunkLoadResult, EtlStore, OutboxBuilder, OutboxDraft } from '../../ports/etl-store.js';
import { openEtlStore } from '../open-etl-store.js';
import type { SqlConfig } from '../sql-config.js';
import {
  contractDataset,
  eventFact,
  expectedDailyPercentile,
  makeFact,
  maximalDataset,
  maximalRows,
  pairDataset,
  keylessDataset,
  timelessDataset,
  random,
  textOfLength,
  type EventSpec,
} from './contract-fixtures.js';
import { mergeWindowPartials, partialsFromFacts } from '../../aggregates/window-aggregate.js';
import { parseDatasetDeclaration } from '../../datasets/dataset-schema.js';
import { toFact } from '../../transform/to-fact.js';
import { outboxDraftsFor } from '../../handlers/outbox-drafts.js';
import { partialIdOf } from '../../messages/partials-event.js';
import { FILE_ERROR_LENGTH } from '../fit-text.js';

export interface ContractTarget {
  /** Shown in the suite name. */
  readonly name: string;
  /** Why the suite is skipped, or undefined to run it. */
  readonly skipReason?: string;
  /** Config of a database for one test: a fresh one where cheap (SQLite), otherwise shared. */
  config(): Promise<SqlConfig>;
  /** Opens the store under test for a config; default `openEtlStore`. */
  open?(config: SqlConfig): Promise<EtlStore>;
}

const here = dirname(fileURLToPath(import.meta.url));
const run = promisify(execFile);
let sequence = 0;

/** Dataset names are unique per test so a shared database (Azure SQL) needs no cleanup. */
function uniqueName(prefix: string): string {
  sequence += 1;
  return `${prefix}_${Date.now().toString(36)}_${process.pid.toString(36)}_${sequence}`;
}

function facts(dataset: DatasetDeclaration, specs: readonly EventSpec[], fileId: string, firstRow = 1): Fact[] {
  return specs.map((spec, index) => eventFact(dataset, spec, fileId, firstRow + index));
}

/** One message with the keys of every new fact, its id built on the prefix the store passes. */
const outboxOfKeys: OutboxBuilder = (newFacts, idPrefix) => [
  { id: `${idPrefix}/all`, destination: 'aggregates', partitionKey: 'p', body: JSON.stringify({ keys: newFacts.map((f) => f.key) }) },
];

export function describeEtlStoreContract(target: ContractTarget): void {
  const suite = target.skipReason ? describe.skip : describe;
  suite(`EtlStore contract: ${target.name}${target.skipReason ? ` (skipped: ${target.skipReason})` : ''}`, () => {
    const open: EtlStore[] = [];
    afterEach(async () => {
      await Promise.all(open.splice(0).map((store) => store.close()));
    });

    async function setup(
      report?: Parameters<typeof contractDataset>[1],
      declare: (name: string) => DatasetDeclaration = (name) => contractDataset(name, report),
    ) {
      const config = await target.config();
      const dataset = declare(uniqueName('c'));
      const store = await (target.open ?? openEtlStore)(config);
      open.push(store);
      await store.migrate([dataset]);
      return { config, dataset, store, fileId: uniqueName('file') };
    }

    async function begin(store: EtlStore, dataset: DatasetDeclaration, fileId: string, blobName = `${dataset.name}/a.csv`) {
      return store.manifest.beginFile({
        fileId,
        dataset: dataset.name,
        blobName,
        blobEtag: '"0x1"',
        receivedAt: '2026-11-20T10:00:00.000Z',
      });
    }

    it('migrates idempotently: a second migrate changes nothing and keeps the data', async () => {
      const { store, dataset, fileId } = await setup();
      await begin(store, dataset, fileId);
      await store.facts.loadChunk({ dataset, fileId, chunkId: `${fileId}/0`, facts: facts(dataset, [{ id: 1 }], fileId) }, () => []);
      await store.migrate([dataset]);
      await store.migrate([dataset]);
      expect(await store.query.countFacts(dataset)).toBe(1);
      expect((await store.manifest.getFile(fileId))?.loadedRows).toBe(1);
    });

    it('loads facts idempotently and counts duplicates across and within chunks', async () => {
      const { store, dataset, fileId } = await setup();
      const began = await begin(store, dataset, fileId);
      expect(began.created).toBe(true);
      expect(began.manifest.state).toBe('extracting');
      expect((await begin(store, dataset, fileId)).created).toBe(false);

      // Chunk 0: ids 1..5 with id 3 twice (a duplicate within the chunk).
      const first = await store.facts.loadChunk(
        {
          dataset,
          fileId,
          chunkId: `${fileId}/0`,
          facts: facts(dataset, [{ id: 1 }, { id: 2 }, { id: 3 }, { id: 3, duration: 99 }, { id: 4 }, { id: 5 }], fileId),
        },
        outboxOfKeys,
      );
      expect(first).toMatchObject({ alreadyApplied: false, loaded: 5, duplicates: 1 });
      // Chunk 1: ids 4..8, of which 4 and 5 are already loaded.
      const second = await store.facts.loadChunk(
        {
          dataset,
          fileId,
          chunkId: `${fileId}/1`,
          facts: facts(
            dataset,
            [4, 5, 6, 7, 8].map((id) => ({ id })),
            fileId,
            7,
          ),
        },
        outboxOfKeys,
      );
      expect(second).toMatchObject({ alreadyApplied: false, loaded: 3, duplicates: 2 });
      expect(JSON.parse(second.outbox[0]?.body ?? '{}').keys).toHaveLength(3);
      expect(second.outbox.map((message) => message.id)).toEqual([`${fileId}/1/all`]);
      expect(await store.query.countFacts(dataset)).toBe(8);
      expect(await store.query.countFacts(dataset, { fileId })).toBe(8);
      // The first row of a key wins: id 3 keeps its first duration.
      expect((await store.query.measureValues(dataset, 'event_duration')).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);

      // Extract finishes after both chunks were loaded: the file completes at once.
      const finished = await store.manifest.finishExtract(
        fileId,
        { totalRows: 12, validRows: 11, rejectedRows: 1, chunks: 2 },
        '2026-11-20T10:01:00.000Z',
      );
      expect(finished).toMatchObject({
        state: 'complete',
        totalRows: 12,
        validRows: 11,
        rejectedRows: 1,
        loadedRows: 8,
        duplicateRows: 3,
        chunksLoaded: 2,
      });
      expect(finished.validRows).toBe(finished.loadedRows + finished.duplicateRows);
      expect(finished.completedAt).toBe('2026-11-20T10:01:00.000Z');
    });

    it("completes a file when its last chunk arrives after extract finished, keeping extract's counts", async () => {
      const { store, dataset, fileId } = await setup();
      await begin(store, dataset, fileId);
      const loading = await store.manifest.finishExtract(
        fileId,
        { totalRows: 4, validRows: 3, rejectedRows: 1, chunks: 2 },
        '2026-11-20T10:01:00.000Z',
      );
      expect(loading).toMatchObject({ state: 'loading', chunksLoaded: 0, completedAt: null });
      await store.facts.loadChunk(
        { dataset, fileId, chunkId: `${fileId}/0`, facts: facts(dataset, [{ id: 1 }, { id: 2 }], fileId) },
        () => [],
      );
      expect((await store.manifest.getFile(fileId))?.state).toBe('loading');
      await store.facts.loadChunk({ dataset, fileId, chunkId: `${fileId}/1`, facts: facts(dataset, [{ id: 3 }], fileId, 3) }, () => []);
      const done = await store.manifest.getFile(fileId);
      expect(done).toMatchObject({ state: 'complete', totalRows: 4, validRows: 3, rejectedRows: 1, loadedRows: 3, duplicateRows: 0 });
      expect(done?.completedAt).not.toBeNull();
      expect((await store.manifest.listFiles({ state: 'complete', dataset: dataset.name })).map((f) => f.fileId)).toEqual([fileId]);
      expect(await store.manifest.listFiles({ state: 'loading', dataset: dataset.name })).toEqual([]);

      await store.manifest.addDeadLetteredChunks(fileId, 2, '2026-11-20T10:02:00.000Z');
      await store.manifest.addDeadLetteredChunks(fileId, -1, '2026-11-20T10:03:00.000Z');
      await store.manifest.failFile(fileId, 'header mismatch', '2026-11-20T10:04:00.000Z');
      expect(await store.manifest.getFile(fileId)).toMatchObject({
        state: 'failed',
        error: 'header mismatch',
        chunksDeadLettered: 1,
        loadedRows: 3,
      });
      expect(await store.manifest.getFile(`${fileId}-missing`)).toBeUndefined();
    });

    it('touches only a file still extracting, and with staleBefore only when its last touch is older', async () => {
      const { store, dataset, fileId } = await setup();
      await begin(store, dataset, fileId);
      const updatedAt = async () => (await store.manifest.getFile(fileId))?.updatedAt;
      expect(await store.manifest.touchExtracting(fileId, '2026-11-20T10:05:00.000Z')).toBe(true);
      expect(await updatedAt()).toBe('2026-11-20T10:05:00.000Z');
      // A sweep that wants a file stalled since before 10:05 finds it touched since: no claim.
      const staleBefore = '2026-11-20T10:05:00.000Z';
      expect(await store.manifest.touchExtracting(fileId, '2026-11-20T10:20:00.000Z', { staleBefore })).toBe(false);
      expect(await updatedAt()).toBe('2026-11-20T10:05:00.000Z');
      // Of two sweeps after 10:06, the first claims it and the second finds the claim.
      const later = { staleBefore: '2026-11-20T10:06:00.000Z' };
      expect(await store.manifest.touchExtracting(fileId, '2026-11-20T10:21:00.000Z', later)).toBe(true);
      expect(await store.manifest.touchExtracting(fileId, '2026-11-20T10:21:00.000Z', later)).toBe(false);
      // A file past extraction is not touched (its updatedAt is transform's).
      await store.manifest.finishExtract(fileId, { totalRows: 1, validRows: 1, rejectedRows: 0, chunks: 1 }, '2026-11-20T10:22:00.000Z');
      expect(await store.manifest.touchExtracting(fileId, '2026-11-20T10:30:00.000Z')).toBe(false);
      expect(await updatedAt()).toBe('2026-11-20T10:22:00.000Z');
      expect(await store.manifest.touchExtracting(`${fileId}-missing`, '2026-11-20T10:30:00.000Z')).toBe(false);
    });

    it('lists with updatedBefore only files whose last update is older, however many newer ones there are', async () => {
      const { store, dataset, fileId } = await setup();
      const fresh = `${fileId}-fresh`;
      await begin(store, dataset, fileId);
      await begin(store, dataset, fresh, `${dataset.name}/b.csv`);
      await store.manifest.touchExtracting(fileId, '2026-11-20T10:05:00.000Z');
      await store.manifest.touchExtracting(fresh, '2026-11-20T10:10:00.000Z');
      const listed = async (updatedBefore: string, limit?: number) =>
        (await store.manifest.listFiles({ state: 'extracting', dataset: dataset.name, updatedBefore, limit })).map((f) => f.fileId).sort();
      expect(await listed('2026-11-20T10:05:00.000Z')).toEqual([]);
      expect(await listed('2026-11-20T10:06:00.000Z', 1)).toEqual([fileId]);
      expect(await listed('2026-11-20T10:11:00.000Z')).toEqual([fileId, fresh].sort());
    });

    it('applies a chunk exactly once: the same chunk again changes nothing', async () => {
      const { store, dataset, fileId } = await setup();
      await begin(store, dataset, fileId);
      const chunk = { dataset, fileId, chunkId: `${fileId}/0`, facts: facts(dataset, [{ id: 1 }, { id: 2 }], fileId) };
      const first = await store.facts.loadChunk(chunk, outboxOfKeys);
      let calls = 0;
      const again: ChunkLoadResult = await store.facts.loadChunk(chunk, (newFacts, idPrefix) => {
        calls += 1;
        return outboxOfKeys(newFacts, idPrefix);
      });
      expect(first).toMatchObject({ alreadyApplied: false, loaded: 2, duplicates: 0 });
      expect(again).toEqual({ alreadyApplied: true, loaded: 0, duplicates: 0, outbox: [] });
      expect(calls).toBe(0);
      expect(await store.manifest.getFile(fileId)).toMatchObject({ loadedRows: 2, duplicateRows: 0, chunksLoaded: 1 });
    });

    it('loads several chunks in one transaction: per-chunk counts, duplicates across them, one outbox, all or none', async () => {
      const { store, dataset, fileId } = await setup();
      await begin(store, dataset, fileId);
      await store.manifest.finishExtract(fileId, { totalRows: 7, validRows: 7, rejectedRows: 0, chunks: 3 }, '2026-11-20T10:01:00.000Z');
      const chunk = (index: number, ids: number[], firstRow: number) => ({
        dataset,
        fileId,
        chunkId: `${fileId}/${index}`,
        facts: facts(
          dataset,
          ids.map((id) => ({ id })),
          fileId,
          firstRow,
        ),
      });
      const first = chunk(0, [1, 2], 1);
      await store.facts.loadChunk(first, outboxOfKeys);
      // Chunk 1 is new, chunk 0 is already in the ledger, and a failing outbox rolls back all of it.
      await expect(
        store.facts.loadChunks([chunk(1, [3, 4, 2], 3), first, chunk(2, [6], 7)], () => {
          throw new Error('outbox builder failed');
        }),
      ).rejects.toThrow();
      expect(await store.query.countFacts(dataset)).toBe(2);
      expect(await store.manifest.getFile(fileId)).toMatchObject({ loadedRows: 2, chunksLoaded: 1 });

      // Key 4 is new in chunk 1 and a duplicate in chunk 2; chunk 1 listed twice applies once.
      // Chunk 0 leads the list but is already applied: the outbox ids are built on chunk 1.
      const calls: { keys: number; idPrefix: string }[] = [];
      const result = await store.facts.loadChunks(
        [first, chunk(1, [3, 4, 2], 3), chunk(2, [4, 5], 6), chunk(1, [3, 4, 2], 3)],
        (newFacts, idPrefix) => {
          calls.push({ keys: newFacts.length, idPrefix });
          return outboxOfKeys(newFacts, idPrefix);
        },
      );
      expect(result.chunks).toEqual([
        { alreadyApplied: true, loaded: 0, duplicates: 0 },
        { alreadyApplied: false, loaded: 2, duplicates: 1 },
        { alreadyApplied: false, loaded: 1, duplicates: 1 },
        { alreadyApplied: true, loaded: 0, duplicates: 0 },
      ]);
      expect(calls).toEqual([{ keys: 3, idPrefix: `${fileId}/1` }]);
      const keyOf = (id: number) => facts(dataset, [{ id }], fileId)[0]!.key;
      expect(result.outbox.map(({ id, body }) => ({ id, body }))).toEqual([
        { id: `${fileId}/1/all`, body: JSON.stringify({ keys: [keyOf(3), keyOf(4), keyOf(5)] }) },
      ]);
      expect(await store.query.countFacts(dataset)).toBe(5);
      expect(await store.manifest.getFile(fileId)).toMatchObject({ state: 'complete', loadedRows: 5, duplicateRows: 2, chunksLoaded: 3 });

      // Nothing applied: the builder is not called and there is no outbox.
      const again = await store.facts.loadChunks([first, chunk(2, [4, 5], 6)], () => {
        throw new Error('not expected');
      });
      expect(again).toEqual({
        chunks: [
          { alreadyApplied: true, loaded: 0, duplicates: 0 },
          { alreadyApplied: true, loaded: 0, duplicates: 0 },
        ],
        outbox: [],
      });
      expect(await store.facts.loadChunks([], outboxOfKeys)).toEqual({ chunks: [], outbox: [] });
      // Partials are summed over the chunks of a call, so they must share a dataset.
      const elsewhere = { ...chunk(3, [9], 9), dataset: { ...dataset, name: `${dataset.name}_other` } };
      await expect(store.facts.loadChunks([chunk(3, [9], 9), elsewhere], outboxOfKeys)).rejects.toThrow(/one dataset/);
      expect(await store.query.countFacts(dataset)).toBe(5);
    });

    it('writes the outbox in the chunk transaction: a failure leaves nothing, the retry applies, the relay can replay', async () => {
      const { store, dataset, fileId } = await setup();
      // Drain what earlier runs left in a shared database, so this test sees only its own messages.
      for (let page = await store.outbox.listUnpublished(500); page.length > 0; page = await store.outbox.listUnpublished(500)) {
        await store.outbox.markPublished(page.map((message) => message.id));
      }
      await begin(store, dataset, fileId);
      const chunk = { dataset, fileId, chunkId: `${fileId}/0`, facts: facts(dataset, [{ id: 1 }, { id: 2 }, { id: 3 }], fileId) };
      await expect(
        store.facts.loadChunk(chunk, () => {
          throw new Error('outbox builder failed');
        }),
      ).rejects.toThrow();
      expect(await store.query.countFacts(dataset)).toBe(0);
      expect(await store.manifest.getFile(fileId)).toMatchObject({ loadedRows: 0, chunksLoaded: 0 });

      const drafts = (newFacts: readonly Fact[]): OutboxDraft[] =>
        newFacts.map((fact) => ({
          id: `${chunk.chunkId}/${fact.key}`,
          destination: 'aggregates',
          partitionKey: fact.key,
          body: `{"row":${fact.rowNumber}}`,
        }));
      const applied = await store.facts.loadChunk(chunk, drafts);
      expect(applied.outbox.map((m) => m.id)).toEqual(chunk.facts.map((fact) => `${chunk.chunkId}/${fact.key}`));

      const pending = await store.outbox.listUnpublished(10);
      expect(pending.map((m) => m.body)).toEqual(['{"row":1}', '{"row":2}', '{"row":3}']);
      // The relay crashed after publishing only the first: the rest is still there to replay.
      await store.outbox.markPublished([pending[0]?.id as string]);
      expect((await store.outbox.listUnpublished(10)).map((m) => m.body)).toEqual(['{"row":2}', '{"row":3}']);
      await store.outbox.markPublished((await store.outbox.listUnpublished(10)).map((m) => m.id));
      expect(await store.outbox.listUnpublished(10)).toEqual([]);
    });

    it('merges each window partial exactly once and matches a GROUP BY over the facts', async () => {
      const { store, dataset, fileId } = await setup();
      await begin(store, dataset, fileId);
      const next = random(7);
      const types = ['temperature', 'pressure', 'motion'];
      const chunks = [0, 1, 2].map((index) =>
        facts(
          dataset,
          Array.from({ length: 40 }, (_, row) => ({
            id: index * 40 + row + 1,
            deviceType: types[Math.floor(next() * 3)],
            at: new Date(Date.UTC(2026, 10, 20, 10, Math.floor(next() * 3), Math.floor(next() * 60))).toISOString(),
            duration: Math.round(next() * 1000) / 10,
            value: row % 9 === 0 ? null : Math.round(next() * 100) - 50,
          })),
          fileId,
          index * 40 + 1,
        ),
      );
      const partialBatches = [];
      for (const [index, chunk] of chunks.entries()) {
        const chunkId = `${fileId}/${index}`;
        let newFacts: readonly Fact[] = [];
        await store.facts.loadChunk({ dataset, fileId, chunkId, facts: chunk }, (fresh) => {
          newFacts = fresh;
          return [];
        });
        partialBatches.push(
          partialsFromFacts(dataset, newFacts).map((partial) => ({
            partialId: `${chunkId}/${partial.windowStart}/${partial.dimensionKey}`,
            partial,
          })),
        );
      }
      const all = partialBatches.flat();
      expect(await store.windows.mergePartials(dataset, all, mergeWindowPartials)).toEqual({ applied: all.length, alreadyApplied: 0 });
      // Redelivery of a batch, and a batch holding one partial twice, change nothing.
      expect(await store.windows.mergePartials(dataset, partialBatches[1] ?? [], mergeWindowPartials)).toEqual({
        applied: 0,
        alreadyApplied: partialBatches[1]?.length,
      });
      const one = all[0];
      if (one === undefined) throw new Error('no partials');
      expect(await store.windows.mergePartials(dataset, [one, one], mergeWindowPartials)).toEqual({ applied: 0, alreadyApplied: 2 });

      const windows = await store.windows.listWindows(dataset);
      const exact = await store.query.groupByWindow(dataset);
      expect(windows.map((w) => [w.windowStart, w.dimensionKey, w.count])).toEqual(
        exact.map((g) => [g.windowStart, g.dimensionKey, g.count]),
      );
      for (const [index, window] of windows.entries()) {
        const group = exact[index];
        for (const measure of dataset.measures) {
          expect(window.measures[measure]?.sum).toBeCloseTo(group?.measures[measure]?.sum ?? NaN, 6);
          expect(window.measures[measure]?.min).toBe(group?.measures[measure]?.min);
          expect(window.measures[measure]?.max).toBe(group?.measures[measure]?.max);
        }
        const durations = await store.query.measureValues(dataset, 'event_duration', {
          windowStart: window.windowStart,
          dimensionKey: window.dimensionKey,
        });
        expect(window.sketches.event_duration?.count).toBe(durations.length);
        expect(window.dimensions.device_type).toBe(window.dimensionKey);
      }
      const from = windows[1]?.windowStart as string;
      expect((await store.windows.listWindows(dataset, { from })).every((w) => w.windowStart >= from)).toBe(true);
      expect(await store.windows.listWindows(dataset, { limit: 2 })).toHaveLength(2);
    });

    it.skipIf(target.open !== undefined)(
      'keeps facts, counters and the ledger exact with two processes writing the same chunks at once',
      async () => {
        const { config, store, dataset, fileId } = await setup();
        await begin(store, dataset, fileId);
        // 12 chunks of 150 rows; consecutive chunks share 50 keys, so duplicates cross chunks and processes.
        const chunks = Array.from({ length: 12 }, (_, index) => ({
          chunkId: `${fileId}/${index}`,
          events: Array.from({ length: 150 }, (_, row) => ({ id: index * 100 + row + 1 })),
        }));
        const dir = mkdtempSync(join(tmpdir(), 'etl-sql-writers-'));
        const jobs = [chunks, [...chunks].reverse()].map((order, index) => {
          const path = join(dir, `job-${index}.json`);
          writeFileSync(path, JSON.stringify({ config, dataset, fileId, chunks: order }));
          return path;
        });
        const outputs = await Promise.all(
          jobs.map((job) => run(process.execPath, ['--import', 'tsx', join(here, 'concurrent-writer.ts'), job], { cwd: process.cwd() })),
        ).finally(() => rmSync(dir, { recursive: true, force: true })); // the job files may hold a connection string
        const results = outputs.flatMap((output) => JSON.parse(output.stdout) as (ChunkLoadResult & { chunkId: string })[]);
        const applied = results.filter((result) => !result.alreadyApplied);
        expect(applied.map((result) => result.chunkId).sort()).toEqual(chunks.map((chunk) => chunk.chunkId).sort());
        const uniqueKeys = 11 * 100 + 150;
        expect(await store.query.countFacts(dataset)).toBe(uniqueKeys);
        expect(applied.reduce((sum, result) => sum + result.loaded, 0)).toBe(uniqueKeys);
        const manifest = await store.manifest.finishExtract(
          fileId,
          { totalRows: 1800, validRows: 1800, rejectedRows: 0, chunks: 12 },
          '2026-11-20T10:05:00.000Z',
        );
        expect(manifest).toMatchObject({ state: 'complete', chunksLoaded: 12, loadedRows: uniqueKeys, duplicateRows: 1800 - uniqueKeys });
      },
    );

    it('reports the daily nearest-rank percentile without outliers, as computed independently', async () => {
      const { store, dataset, fileId } = await setup({ percentile: 0.95, sigma: 2, minDistinctEvents: 30 });
      const next = random(42);
      const specs: EventSpec[] = [];
      let id = 0;
      const groups = [
        { day: '2026-11-20', deviceType: 'temperature', n: 120 },
        { day: '2026-11-20', deviceType: 'pressure', n: 80 },
        { day: '2026-11-20', deviceType: 'motion', n: 29 }, // below minDistinctEvents: left out
        { day: '2026-11-21', deviceType: 'temperature', n: 61 },
      ];
      for (const group of groups) {
        for (let row = 0; row < group.n; row += 1) {
          id += 1;
          // Mostly 50..150 ms, with a few far outliers that the sigma filter must drop.
          const duration = row % 25 === 0 ? 5000 + row : Math.round((50 + next() * 100) * 1000) / 1000;
          specs.push({ id, deviceType: group.deviceType, at: `${group.day}T${String(row % 24).padStart(2, '0')}:10:00.000Z`, duration });
        }
      }
      await begin(store, dataset, fileId);
      for (let start = 0; start < specs.length; start += 100) {
        await store.facts.loadChunk(
          { dataset, fileId, chunkId: `${fileId}/${start}`, facts: facts(dataset, specs.slice(start, start + 100), fileId, start + 1) },
          () => [],
        );
      }
      const expected = expectedDailyPercentile(
        specs.map((spec) => ({ day: String(spec.at).slice(0, 10), dimension: spec.deviceType as string, value: spec.duration as number })),
        { percentile: 0.95, sigma: 2, minDistinctEvents: 30 },
      );
      expect(expected.map((row) => row.kept < row.events)).toEqual([true, true, true]);
      const actual = await store.report.dailyPercentile(dataset);
      expect(actual.map((row) => [row.day, row.dimension, row.events, row.kept, row.percentile])).toEqual(
        expected.map((row) => [row.day, row.dimension, row.events, row.kept, row.percentile]),
      );
      for (const [index, row] of actual.entries()) {
        expect(row.mean).toBeCloseTo(expected[index]?.mean ?? NaN, 6);
        expect(row.stddev).toBeCloseTo(expected[index]?.stddev ?? NaN, 6);
      }
      const oneDay = await store.report.dailyPercentile(dataset, { from: '2026-11-21', to: '2026-11-21' });
      expect(oneDay.map((row) => row.day)).toEqual(['2026-11-21']);
    });

    it('loads, de-duplicates, aggregates and reads back values at every size the declaration allows', async () => {
      const { store, dataset, fileId } = await setup(undefined, maximalDataset);
      expect(parseDatasetDeclaration(dataset)).toMatchObject({ name: dataset.name }); // the limits are the declaration's own
      const blobName = `${dataset.name}/${'b'.repeat(1024 - dataset.name.length - 5)}.csv`; // a blob name's 1024 characters
      await begin(store, dataset, fileId, blobName);
      const rows = maximalRows(2);
      const chunkFacts = rows.map((values, index) => makeFact(dataset, values, fileId, index + 1));
      let fresh: readonly Fact[] = [];
      const loaded = await store.facts.loadChunk({ dataset, fileId, chunkId: `${fileId}/0`, facts: chunkFacts }, (newFacts) => {
        fresh = newFacts;
        return [];
      });
      expect(loaded).toMatchObject({ alreadyApplied: false, loaded: 2, duplicates: 0 });
      expect(fresh.map((fact) => fact.values)).toEqual(rows);
      // The same keys again, in another chunk: duplicates, however long the key.
      expect(await store.facts.loadChunk({ dataset, fileId, chunkId: `${fileId}/1`, facts: chunkFacts }, () => [])).toMatchObject({
        loaded: 0,
        duplicates: 2,
      });
      expect(await store.manifest.getFile(fileId)).toMatchObject({ blobName, loadedRows: 2, duplicateRows: 2 });

      const partials = partialsFromFacts(dataset, fresh).map((partial) => ({
        partialId: partialIdOf(`${fileId}/0/0/${partial.dimensionKey}`, partial.windowStart),
        partial,
      }));
      expect(await store.windows.mergePartials(dataset, partials, mergeWindowPartials)).toEqual({ applied: 2, alreadyApplied: 0 });
      const windows = await store.windows.listWindows(dataset);
      expect(windows.map((window) => [window.windowStart, window.dimensions])).toEqual([
        ['1000-01-01T00:00:00.000Z', { region: rows[1]?.region, kind: rows[1]?.kind, flag: 'false', ratio: '-0.0000012345678901234567' }],
        ['9999-12-31T23:59:00.000Z', { region: rows[0]?.region, kind: rows[0]?.kind, flag: 'false', ratio: '-0.0000012345678901234567' }],
      ]);
      const exact = await store.query.groupByWindow(dataset);
      expect(exact.map((group) => [group.windowStart, group.dimensionKey, group.count])).toEqual(
        windows.map((window) => [window.windowStart, window.dimensionKey, 1]),
      );
      for (const window of windows) {
        expect(
          await store.query.measureValues(dataset, 'amount', { windowStart: window.windowStart, dimensionKey: window.dimensionKey }),
        ).toHaveLength(1);
      }
      expect((await store.report.dailyPercentile(dataset)).map((row) => [row.day, row.dimension])).toEqual([
        ['1000-01-01', rows[1]?.region],
        ['9999-12-31', rows[0]?.region],
      ]);
    });

    it('keeps apart rows whose key and dimension values differ only where a separator could fall', async () => {
      const { store, dataset, fileId } = await setup(undefined, pairDataset);
      await begin(store, dataset, fileId);
      // U+001F passes validation in a string field: joined with it, both rows had one key and one dimension tuple.
      const rows = [
        { a: 'x\u001fy', b: 'z', at: '2026-11-20T10:00:00.000Z', v: 1 },
        { a: 'x', b: 'y\u001fz', at: '2026-11-20T10:00:30.000Z', v: 2 },
      ];
      let fresh: readonly Fact[] = [];
      const loaded = await store.facts.loadChunk(
        { dataset, fileId, chunkId: `${fileId}/0`, facts: rows.map((row, index) => makeFact(dataset, row, fileId, index + 1)) },
        (newFacts) => {
          fresh = newFacts;
          return [];
        },
      );
      expect(loaded).toMatchObject({ loaded: 2, duplicates: 0 });
      const partials = partialsFromFacts(dataset, fresh).map((partial) => ({ partialId: `${fileId}/0/${partial.dimensionKey}`, partial }));
      expect(await store.windows.mergePartials(dataset, partials, mergeWindowPartials)).toEqual({ applied: 2, alreadyApplied: 0 });
      const windows = await store.windows.listWindows(dataset);
      expect(windows.map((window) => [window.dimensions, window.count])).toEqual(
        expect.arrayContaining([
          [{ a: 'x\u001fy', b: 'z' }, 1],
          [{ a: 'x', b: 'y\u001fz' }, 1],
        ]),
      );
      expect((await store.query.groupByWindow(dataset)).map((group) => group.dimensionKey).sort()).toEqual(
        windows.map((window) => window.dimensionKey).sort(),
      );
    });

    it('loads a dataset without a key: rows equal once typed are one row, the rest count as duplicates', async () => {
      const { store, dataset, fileId } = await setup(undefined, keylessDataset);
      expect(parseDatasetDeclaration(dataset).key).toEqual([]);
      await begin(store, dataset, fileId);
      const rows = [
        { date: '2012-01-01', order: 'a', select: true, count: 1 },
        { date: '2012-01-01', order: 'a', select: true, count: 1 }, // the same row again
        { date: '2012-01-01', order: 'a', select: false, count: 1 },
        { date: '2012-01-02', order: null, select: null, count: null },
      ];
      const chunk = rows.map((row, index) => toFact(dataset, row, fileId, index + 1));
      let fresh: readonly Fact[] = [];
      expect(
        await store.facts.loadChunk({ dataset, fileId, chunkId: `${fileId}/0`, facts: chunk }, (newFacts) => {
          fresh = newFacts;
          return [];
        }),
      ).toMatchObject({ loaded: 3, duplicates: 1 });
      // The same file again (a re-upload): every row is a duplicate.
      expect(await store.facts.loadChunk({ dataset, fileId, chunkId: `${fileId}/1`, facts: chunk }, () => [])).toMatchObject({
        loaded: 0,
        duplicates: 4,
      });
      const partials = partialsFromFacts(dataset, fresh).map((partial) => ({
        partialId: `${fileId}/0/${partial.windowStart}/${partial.dimensionKey}`,
        partial,
      }));
      await store.windows.mergePartials(dataset, partials, mergeWindowPartials);
      expect(
        (await store.windows.listWindows(dataset)).map((window) => [window.windowStart, window.dimensions.order, window.count]),
      ).toEqual([
        ['2012-01-01T00:00:00.000Z', 'a', 2],
        ['2012-01-02T00:00:00.000Z', '', 1],
      ]);
      // The report counts rows with a value of its measure: the 2 January row has none.
      expect((await store.report.dailyPercentile(dataset)).map((row) => [row.day, row.dimension, row.events])).toEqual([
        ['2012-01-01', 'a', 2],
      ]);
    });

    it('loads a dataset without an event time: facts only, no window columns, no partials', async () => {
      const { store, dataset, fileId } = await setup(undefined, timelessDataset);
      expect(parseDatasetDeclaration(dataset).eventTime).toBeUndefined();
      await begin(store, dataset, fileId);
      const rows = [
        { sku: 'a-1', title: 'Kettle', price: 19.5 },
        { sku: 'a-2', title: null, price: null },
        { sku: 'a-1', title: 'Kettle, again', price: 1 }, // the key again
      ];
      const chunk = rows.map((row, index) => toFact(dataset, row, fileId, index + 1));
      const loaded = await store.facts.loadChunk({ dataset, fileId, chunkId: `${fileId}/0`, facts: chunk }, (newFacts, idPrefix) =>
        outboxDraftsFor(dataset, idPrefix, newFacts, 'aggregates'),
      );
      expect(loaded).toMatchObject({ loaded: 2, duplicates: 1, outbox: [] });
      expect(await store.query.countFacts(dataset, { fileId })).toBe(2);
      expect(await store.query.groupByWindow(dataset)).toEqual([]);
      expect(await store.windows.listWindows(dataset)).toEqual([]);
    });

    it('writes the outbox of partials with the longest dimension key a declaration allows', async () => {
      const { store, dataset, fileId } = await setup(undefined, maximalDataset);
      await begin(store, dataset, fileId);
      const chunkFacts = maximalRows(2).map((values, index) => makeFact(dataset, values, fileId, index + 1));
      const loaded = await store.facts.loadChunk({ dataset, fileId, chunkId: `${fileId}/0`, facts: chunkFacts }, (newFacts, idPrefix) =>
        outboxDraftsFor(dataset, idPrefix, newFacts, 'aggregates'),
      );
      expect(loaded.outbox).toHaveLength(2);
      const unpublished = (await store.outbox.listUnpublished(1000)).filter((message) => message.id.startsWith(fileId));
      expect(unpublished.map((message) => message.partitionKey)).toEqual(loaded.outbox.map((message) => message.partitionKey));
      expect(unpublished.map((message) => JSON.parse(message.body))).toEqual(loaded.outbox.map((message) => JSON.parse(message.body)));
    });

    it('cuts a failure reason to what the manifest holds, never inside a character', async () => {
      const { store, dataset, fileId } = await setup();
      await begin(store, dataset, fileId);
      const reason = textOfLength(FILE_ERROR_LENGTH + 1000, 'wrong header: ');
      await store.manifest.failFile(fileId, reason, '2026-11-20T10:05:00.000Z');
      const failed = await store.manifest.getFile(fileId);
      expect(failed?.state).toBe('failed');
      expect(failed?.error?.length).toBeLessThanOrEqual(FILE_ERROR_LENGTH);
      expect(failed?.error?.length).toBeGreaterThanOrEqual(FILE_ERROR_LENGTH - 1);
      expect(failed?.error?.endsWith('…')).toBe(true);
      expect(reason.startsWith((failed?.error ?? '').slice(0, -1))).toBe(true);
      // A name no file can be recorded under matches nothing (and is not sent to the database).
      expect(await store.manifest.listFiles({ dataset: 'x'.repeat(64) })).toEqual([]);
    });

    it('treats SQL in values and file names as data', async () => {
      const { store, dataset } = await setup();
      const evil = `x'); DROP TABLE etl_files; --`;
      const fileId = `${evil}]; DELETE FROM etl_ledger; --"`;
      await begin(store, dataset, fileId, `${dataset.name}/'; DROP TABLE ${dataset.name}_facts; --.csv`);
      const notes = [
        evil,
        `' OR '1'='1`,
        `"; UPDATE etl_files SET state='complete'; --`,
        `\u0000\u001f; SELECT 1`,
        `[x]]; DROP TABLE y; --`,
      ];
      const chunk = facts(
        dataset,
        notes.map((note, index) => ({ id: index + 1, note })),
        fileId,
      );
      const result = await store.facts.loadChunk({ dataset, fileId, chunkId: `${fileId}/0`, facts: chunk }, () => [
        { id: `${fileId}/0/${evil}`, destination: evil, partitionKey: evil, body: JSON.stringify({ evil }) },
      ]);
      expect(result).toMatchObject({ loaded: 5, duplicates: 0 });
      expect(result.outbox[0]).toMatchObject({ destination: evil, partitionKey: evil });
      const manifest = await store.manifest.getFile(fileId);
      expect(manifest).toMatchObject({
        fileId,
        blobName: `${dataset.name}/'; DROP TABLE ${dataset.name}_facts; --.csv`,
        state: 'extracting',
        loadedRows: 5,
      });
      expect(await store.query.countFacts(dataset, { fileId })).toBe(5);
      expect((await store.manifest.listFiles({ dataset: dataset.name })).length).toBe(1);
      const again = await store.facts.loadChunk({ dataset, fileId, chunkId: `${fileId}/0`, facts: chunk }, () => []);
      expect(again.alreadyApplied).toBe(true);
      await expect(store.migrate([{ ...dataset, name: 'x; DROP TABLE etl_files' }])).rejects.toMatchObject({ code: 'INVALID_DATASET' });
      await expect(store.migrate([{ ...dataset, dimensions: ['device_type"]; --'] }])).rejects.toMatchObject({ code: 'INVALID_DATASET' });
      expect(await store.manifest.getFile(fileId)).toBeDefined();
    });
  });
}
