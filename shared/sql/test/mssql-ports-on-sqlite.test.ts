/**
 * The Azure SQL port classes run their real generated T-SQL on a real SQL engine: SQLite, through
 * a session that translates the few T-SQL constructs they use (see sqlite-translating-session.ts).
 * This exercises the adapters' statement selection, parameter names, the table-valued parameter's
 * contents and row mapping; it cannot show that SQL Server accepts the T-SQL (that is
 * mssql-statements.test.ts and a live database).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { DatasetDeclaration, Fact } from '../../datasets/dataset-declaration.js';
import { openEtlStore } from '../open-etl-store.js';
import type { EtlStore } from '../../ports/etl-store.js';
import { MssqlFactLoader } from '../mssql/mssql-fact-loader.js';
import { MssqlManifestStore } from '../mssql/mssql-manifest-store.js';
import { MssqlOutboxStore } from '../mssql/mssql-outbox-store.js';
import { MssqlReportQuery } from '../mssql/mssql-report-query.js';
import { MssqlWindowStore } from '../mssql/mssql-window-store.js';
import { SqliteTranslatingSession } from './sqlite-translating-session.js';
import { contractDataset, eventFact, makeFact, expectedDailyPercentile, random, type EventSpec } from './contract-fixtures.js';
import { mergeWindowPartials, partialsFromFacts } from '../../aggregates/window-aggregate.js';

describe('Azure SQL ports running their T-SQL on SQLite (translated)', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const close of cleanup.splice(0).reverse()) await close();
  });

  async function setup(report = { percentile: 0.95, sigma: 2, minDistinctEvents: 10 }) {
    const path = join(mkdtempSync(join(tmpdir(), 'etl-mssql-on-sqlite-')), 'etl.sqlite');
    const dataset = contractDataset('ported', report);
    const sqlite: EtlStore = await openEtlStore({ driver: 'sqlite', path });
    await sqlite.migrate([dataset]); // the SQLite schema has the same table and column names
    cleanup.push(() => sqlite.close());
    const db = new Database(path);
    db.pragma('busy_timeout = 10000');
    cleanup.push(() => {
      db.close();
    });
    const session = new SqliteTranslatingSession(db);
    session.learnTsqlSchema([dataset]);
    let tick = Date.UTC(2026, 10, 20, 12);
    const now = () => new Date((tick += 1000));
    return { dataset, sqlite, session, now };
  }

  it('loads chunks with the table-valued parameter: new keys only, duplicates counted, outbox and manifest in one transaction', async () => {
    const { dataset, sqlite, session, now } = await setup();
    const loader = new MssqlFactLoader(session, now);
    await sqlite.manifest.beginFile({
      fileId: 'f1',
      dataset: dataset.name,
      blobName: 'ported/a.csv',
      blobEtag: '"1"',
      receivedAt: '2026-11-20T10:00:00.000Z',
    });
    const outbox = (chunkId: string) => (fresh: readonly Fact[]) => [
      { id: `${chunkId}/all`, destination: 'aggregates', partitionKey: 'p', body: JSON.stringify(fresh.map((fact) => fact.rowNumber)) },
      { id: `${chunkId}/all`, destination: 'aggregates', partitionKey: 'p', body: 'the same id twice is written once' },
    ];
    const first = [1, 2, 2, 3].map((id, index) => eventFact(dataset, { id, note: `'); DROP TABLE etl_files; --` }, 'f1', index + 1));
    expect(await loader.loadChunk({ dataset, fileId: 'f1', chunkId: 'f1/0', facts: first }, outbox('f1/0'))).toMatchObject({
      alreadyApplied: false,
      loaded: 3,
      duplicates: 1,
      outbox: [{ id: 'f1/0/all', body: '[1,2,4]' }],
    });
    // Chunk 1 overlaps chunk 0 on ids 2 and 3: only the new keys come back from OUTPUT, matched to their facts.
    const second = [2, 3, 4, 5].map((id, index) => eventFact(dataset, { id }, 'f1', index + 5));
    const loaded = await loader.loadChunk({ dataset, fileId: 'f1', chunkId: 'f1/1', facts: second }, outbox('f1/1'));
    expect(loaded).toMatchObject({ loaded: 2, duplicates: 2, outbox: [{ body: '[7,8]' }] });
    expect(await loader.loadChunk({ dataset, fileId: 'f1', chunkId: 'f1/1', facts: second }, outbox('f1/1'))).toEqual({
      alreadyApplied: true,
      loaded: 0,
      duplicates: 0,
      outbox: [],
    });
    await expect(
      loader.loadChunk({ dataset, fileId: 'f1', chunkId: 'f1/2', facts: [eventFact(dataset, { id: 9 }, 'f1', 9)] }, () => {
        throw new Error('outbox builder failed');
      }),
    ).rejects.toThrow('outbox builder failed');
    await sqlite.manifest.finishExtract('f1', { totalRows: 10, validRows: 8, rejectedRows: 2, chunks: 2 }, '2026-11-20T10:05:00.000Z');
    expect(await sqlite.manifest.getFile('f1')).toMatchObject({
      state: 'complete',
      loadedRows: 5,
      duplicateRows: 3,
      validRows: 8,
      rejectedRows: 2,
      chunksLoaded: 2,
    });
    expect(await sqlite.query.countFacts(dataset)).toBe(5);
    expect((await sqlite.outbox.listUnpublished(10)).map((message) => message.id)).toEqual(['f1/0/all', 'f1/1/all']);
    // Values typed by the TVP (timestamps, dates, booleans, NULLs) read back as the SQLite adapter writes them.
    const windows = await sqlite.query.groupByWindow(dataset);
    expect(windows).toEqual([
      { windowStart: '2026-11-20T10:00:00.000Z', dimensionKey: 'temperature', count: 5, measures: expect.any(Object) },
    ]);
  });

  it('matches OUTPUT rows to facts on a composite key with a timestamp', async () => {
    const { session, sqlite, now } = await setup();
    const meters: DatasetDeclaration = {
      name: 'meters',
      version: 1,
      columns: [
        { name: 'meter', type: 'string', required: true },
        { name: 'read_at', type: 'timestamp', required: true },
        { name: 'kwh', type: 'integer', required: true },
        { name: 'estimated', type: 'boolean' },
      ],
      key: ['meter', 'read_at'],
      partitionKey: 'meter',
      eventTime: 'read_at',
      dimensions: ['estimated'],
      measures: ['kwh'],
      quantileMeasures: [],
      windowMinutes: 15,
    };
    await sqlite.migrate([meters]);
    const reading = (meter: string, minute: number, row: number) =>
      makeFact(
        meters,
        { meter, read_at: new Date(Date.UTC(2026, 10, 20, 10, minute)).toISOString(), kwh: minute * 10, estimated: minute % 2 === 0 },
        'm',
        row,
      );
    const loader = new MssqlFactLoader(session, now);
    await loader.loadChunk({ dataset: meters, fileId: 'm', chunkId: 'm/0', facts: [reading('A', 1, 1), reading('a', 1, 2)] }, () => []);
    let fresh: readonly Fact[] = [];
    const result = await loader.loadChunk(
      {
        dataset: meters,
        fileId: 'm',
        chunkId: 'm/1',
        facts: [reading('A', 1, 3), reading('A', 2, 4), reading('a', 1, 5), reading('a', 3, 6)],
      },
      (newFacts) => {
        fresh = newFacts;
        return [];
      },
    );
    expect(result).toMatchObject({ loaded: 2, duplicates: 2 });
    expect(fresh.map((fact) => fact.rowNumber)).toEqual([4, 6]);
    expect((await sqlite.query.groupByWindow(meters)).map((group) => [group.dimensionKey, group.count])).toEqual([
      ['false', 3],
      ['true', 1],
    ]);
  });

  it('keeps the manifest: begin once, finish extract, fail, dead-lettered chunks, list', async () => {
    const { session, sqlite } = await setup();
    const manifest = new MssqlManifestStore(session);
    const input = {
      fileId: 'f1',
      dataset: 'ported',
      blobName: "ported/'; DROP TABLE etl_files; --.csv",
      blobEtag: '"0x1"',
      receivedAt: '2026-11-20T10:00:00.000Z',
    };
    const began = await manifest.beginFile(input);
    expect(began).toMatchObject({
      created: true,
      manifest: { state: 'extracting', blobName: input.blobName, receivedAt: input.receivedAt },
    });
    expect((await manifest.beginFile(input)).created).toBe(false);
    await manifest.beginFile({ ...input, fileId: 'F1' }); // ids are case-sensitive
    const finished = await manifest.finishExtract(
      'f1',
      { totalRows: 10, validRows: 9, rejectedRows: 1, chunks: 0 },
      '2026-11-20T10:01:00.000Z',
    );
    expect(finished).toMatchObject({ state: 'complete', completedAt: '2026-11-20T10:01:00.000Z', totalRows: 10, validRows: 9 });
    await manifest.addDeadLetteredChunks('F1', 2, '2026-11-20T10:02:00.000Z');
    await manifest.failFile('F1', 'bad header', '2026-11-20T10:03:00.000Z');
    expect(await manifest.getFile('F1')).toMatchObject({ state: 'failed', error: 'bad header', chunksDeadLettered: 2 });
    expect((await manifest.listFiles({ state: 'complete' })).map((file) => file.fileId)).toEqual(['f1']);
    expect(await manifest.listFiles({ limit: 1 })).toHaveLength(1);
    expect(await manifest.getFile('missing')).toBeUndefined();
    // What the SQLite adapter reads from the same rows agrees.
    expect(await sqlite.manifest.getFile('f1')).toEqual(await manifest.getFile('f1'));
  });

  it('lists and marks outbox messages written by a chunk load', async () => {
    const { dataset, sqlite, session, now } = await setup();
    const facts = [1, 2, 3].map((id) => eventFact(dataset, { id }, 'f1', id));
    await sqlite.facts.loadChunk({ dataset, fileId: 'f1', chunkId: 'f1/0', facts }, (fresh) =>
      fresh.map((fact) => ({
        id: `f1/0/${fact.rowNumber}`,
        destination: 'aggregates',
        partitionKey: 'p',
        body: `{"row":${fact.rowNumber}}`,
      })),
    );
    const outbox = new MssqlOutboxStore(session, now);
    const pending = await outbox.listUnpublished(2);
    expect(pending.map((message) => message.id)).toEqual(['f1/0/1', 'f1/0/2']);
    await outbox.markPublished(['f1/0/1', 'f1/0/3']);
    expect((await outbox.listUnpublished(10)).map((message) => message.id)).toEqual(['f1/0/2']);
  });

  it('merges partials exactly once and lists windows equal to a GROUP BY over facts', async () => {
    const { dataset, sqlite, session, now } = await setup();
    const next = random(5);
    const types = ['temperature', 'pressure', 'motion'];
    const specs: EventSpec[] = Array.from({ length: 90 }, (_, index) => ({
      id: index + 1,
      deviceType: types[index % 3],
      at: new Date(Date.UTC(2026, 10, 20, 10, index % 2, Math.floor(next() * 60))).toISOString(),
      duration: Math.round(next() * 1000) / 10,
      value: index % 7 === 0 ? null : index,
    }));
    let newFacts: readonly Fact[] = [];
    await sqlite.facts.loadChunk(
      { dataset, fileId: 'f1', chunkId: 'f1/0', facts: specs.map((spec, i) => eventFact(dataset, spec, 'f1', i + 1)) },
      (fresh) => {
        newFacts = fresh;
        return [];
      },
    );
    // Two partials per window: the merge path (existing row) runs as well as the insert path.
    const halves = [newFacts.slice(0, 45), newFacts.slice(45)];
    const partials = halves.flatMap((half, h) =>
      partialsFromFacts(dataset, half).map((partial) => ({ partialId: `p${h}/${partial.windowStart}/${partial.dimensionKey}`, partial })),
    );
    const windows = new MssqlWindowStore(session, now);
    expect(await windows.mergePartials(dataset, partials, mergeWindowPartials)).toEqual({ applied: partials.length, alreadyApplied: 0 });
    expect(await windows.mergePartials(dataset, partials.slice(0, 3), mergeWindowPartials)).toEqual({ applied: 0, alreadyApplied: 3 });
    const listed = await windows.listWindows(dataset);
    const exact = await new MssqlReportQuery(session).groupByWindow(dataset);
    expect(exact).toEqual(await sqlite.query.groupByWindow(dataset));
    expect(listed.map((w) => [w.windowStart, w.dimensionKey, w.count])).toEqual(exact.map((g) => [g.windowStart, g.dimensionKey, g.count]));
    listed.forEach((window, index) => {
      expect(window.measures.value?.sum).toBeCloseTo(exact[index]?.measures.value?.sum ?? NaN, 6);
      expect(window.measures.event_duration?.max).toBe(exact[index]?.measures.event_duration?.max);
      expect(window.sketches.event_duration?.count).toBe(window.measures.event_duration?.count);
    });
    expect(await windows.listWindows(dataset, { from: listed[3]?.windowStart, limit: 2 })).toEqual(listed.slice(3, 5));
    expect(await sqlite.windows.listWindows(dataset)).toEqual(listed);
  });

  it('reports the daily percentile and answers fact queries like the SQLite adapter and plain JS', async () => {
    const report = { percentile: 0.95, sigma: 2, minDistinctEvents: 10 };
    const { dataset, sqlite, session } = await setup(report);
    const specs: EventSpec[] = Array.from({ length: 120 }, (_, index) => ({
      id: index + 1,
      deviceType: index % 2 === 0 ? 'temperature' : 'pressure',
      at: `2026-11-2${index % 3}T0${index % 9}:00:00.000Z`,
      duration: index % 19 === 0 ? 4000 + index : (index * 37) % 101,
    }));
    await sqlite.facts.loadChunk(
      { dataset, fileId: 'f1', chunkId: 'f1/0', facts: specs.map((spec, i) => eventFact(dataset, spec, 'f1', i + 1)) },
      () => [],
    );
    const query = new MssqlReportQuery(session);
    const rows = await query.dailyPercentile(dataset);
    const expected = expectedDailyPercentile(
      specs.map((s) => ({ day: String(s.at).slice(0, 10), dimension: String(s.deviceType), value: Number(s.duration) })),
      report,
    );
    expect(rows.map((r) => [r.day, r.dimension, r.events, r.kept, r.percentile])).toEqual(
      expected.map((r) => [r.day, r.dimension, r.events, r.kept, r.percentile]),
    );
    expect(await query.dailyPercentile(dataset, { from: '2026-11-21', to: '2026-11-21' })).toEqual(
      rows.filter((r) => r.day === '2026-11-21'),
    );
    expect(await query.countFacts(dataset)).toBe(120);
    expect(await query.countFacts(dataset, { fileId: 'other' })).toBe(0);
    const window = (await sqlite.query.groupByWindow(dataset))[0];
    expect(
      (
        await query.measureValues(dataset, 'event_duration', { windowStart: window?.windowStart, dimensionKey: window?.dimensionKey })
      ).sort(),
    ).toEqual(
      (
        await sqlite.query.measureValues(dataset, 'event_duration', {
          windowStart: window?.windowStart,
          dimensionKey: window?.dimensionKey,
        })
      ).sort(),
    );
  });
});
