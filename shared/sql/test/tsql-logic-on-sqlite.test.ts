/**
 * The T-SQL report and GROUP BY statements hold the logic a live Azure SQL would run. Without a
 * server, their text is mechanically translated to SQLite (brackets to quotes, T-SQL type names to
 * SQLite's) and run on data loaded through the public store: their numbers must equal those
 * computed independently in JS. This checks the statements' logic, not that SQL Server accepts them.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openEtlStore } from '../open-etl-store.js';
import { datasetTables } from '../dataset-tables.js';
import { CHUNK_LOADED, CLAIM_LEDGER, FINISH_EXTRACT, datasetStatements } from '../mssql/mssql-statements.js';
import { contractDataset, eventFact, expectedDailyPercentile, random, type EventSpec } from './contract-fixtures.js';

/** T-SQL → SQLite for the constructs these statements use; anything else would fail to prepare. */
function toSqlite(text: string): string {
  return text
    .replace(/\[([a-z0-9_]+)\]/g, '"$1"')
    .replace(/N'/g, "'")
    .replace(/NVARCHAR\(\d+\)/g, 'TEXT')
    .replace(/\bFLOAT\b/g, 'REAL')
    .replace(/COUNT_BIG\(/g, 'COUNT(')
    .replace(/ WITH \(UPDLOCK, HOLDLOCK\)/g, '');
}

describe('T-SQL statement logic, run on SQLite after a mechanical translation', () => {
  it('computes the daily percentile report and the window GROUP BY as computed independently', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'etl-tsql-logic-')), 'etl.sqlite');
    const report = { percentile: 0.75, sigma: 2.5, minDistinctEvents: 20 };
    const dataset = contractDataset('tsql_logic', report);
    const store = await openEtlStore({ driver: 'sqlite', path });
    const next = random(99);
    const specs: EventSpec[] = [];
    const types = ['temperature', 'pressure', 'motion'];
    for (let id = 1; id <= 600; id += 1) {
      const day = id % 4 === 0 ? '2026-11-21' : '2026-11-20';
      const outlier = id % 37 === 0;
      const duration = outlier ? 9000 + id : Math.round(next() * 400_000) / 1000;
      specs.push({
        id,
        deviceType: types[id % 3],
        at: `${day}T1${id % 10}:0${id % 6}:00.000Z`,
        duration,
        value: id % 11 === 0 ? null : id - 300,
      });
    }
    try {
      await store.migrate([dataset]);
      for (let start = 0; start < specs.length; start += 150) {
        const facts = specs.slice(start, start + 150).map((spec, index) => eventFact(dataset, spec, 'f', start + index + 1));
        await store.facts.loadChunk({ dataset, fileId: 'f', chunkId: `f/${start}`, facts }, () => []);
      }
    } finally {
      await store.close();
    }

    const statements = datasetStatements(datasetTables(dataset));
    const db = new Database(path, { readonly: true });
    try {
      const rows = db.prepare(toSqlite(statements.dailyPercentile?.text ?? '')).all({
        from: null,
        to: null,
        minEvents: report.minDistinctEvents,
        sigma: report.sigma,
        percentile: report.percentile,
      }) as { day: string; dimension: string; events: number; mean: number; stddev: number; kept: number; percentile: number }[];
      const expected = expectedDailyPercentile(
        specs.map((spec) => ({ day: String(spec.at).slice(0, 10), dimension: String(spec.deviceType), value: Number(spec.duration) })),
        report,
      );
      expect(expected.length).toBe(6);
      expect(expected.some((row) => row.kept < row.events)).toBe(true);
      // A group where percentile × kept is a whole number: the rank boundary must be hit exactly.
      expect(expected.some((row) => Number.isInteger(row.kept * report.percentile))).toBe(true);
      expect(rows.map((row) => [row.day, row.dimension, row.events, row.kept, row.percentile])).toEqual(
        expected.map((row) => [row.day, row.dimension, row.events, row.kept, row.percentile]),
      );
      rows.forEach((row, index) => expect(row.stddev).toBeCloseTo(expected[index]?.stddev ?? NaN, 6));

      const groups = db.prepare(toSqlite(statements.groupByWindow.text)).all() as Record<string, number | string>[];
      const exact = new Map<string, { n: number; sum: number; max: number }>();
      for (const spec of specs) {
        const at = new Date(String(spec.at));
        const id = `${new Date(Math.floor(at.getTime() / 60_000) * 60_000).toISOString()}|${spec.deviceType}`;
        const group = exact.get(id) ?? { n: 0, sum: 0, max: Number.NEGATIVE_INFINITY };
        exact.set(id, { n: group.n + 1, sum: group.sum + Number(spec.duration), max: Math.max(group.max, Number(spec.duration)) });
      }
      expect(groups).toHaveLength(exact.size);
      for (const group of groups) {
        const want = exact.get(`${group.window_start}|${group.device_type}`);
        expect(group.n).toBe(want?.n);
        expect(Number(group.sum0)).toBeCloseTo(want?.sum ?? NaN, 6);
        expect(group.max0).toBe(want?.max);
      }
    } finally {
      db.close();
    }
  });

  it('moves the manifest through its states with the T-SQL ledger and manifest statements', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'etl-tsql-manifest-')), 'etl.sqlite');
    const store = await openEtlStore({ driver: 'sqlite', path });
    const db = new Database(path);
    try {
      await store.migrate([]);
      await store.manifest.beginFile({
        fileId: 'f1',
        dataset: 'd',
        blobName: 'd/a.csv',
        blobEtag: '"1"',
        receivedAt: '2026-11-20T10:00:00.000Z',
      });
      const claim = db.prepare(toSqlite(CLAIM_LEDGER.text));
      const chunkLoaded = db.prepare(toSqlite(CHUNK_LOADED.text));
      const finishExtract = db.prepare(toSqlite(FINISH_EXTRACT.text));
      expect(claim.run({ stage: 'transform', id: 'f1/0', at: '2026-11-20T10:00:01.000Z' }).changes).toBe(1);
      expect(claim.run({ stage: 'transform', id: 'f1/0', at: '2026-11-20T10:00:02.000Z' }).changes).toBe(0);

      // A chunk lands before extract has finished: counted, the file keeps extracting.
      chunkLoaded.run({ loaded: 3, duplicates: 1, chunks: 1, at: '2026-11-20T10:00:03.000Z', fileId: 'f1' });
      expect(await store.manifest.getFile('f1')).toMatchObject({ state: 'extracting', chunksLoaded: 1, loadedRows: 3, duplicateRows: 1 });
      finishExtract.run({ total: 9, valid: 7, rejected: 2, chunks: 3, at: '2026-11-20T10:00:04.000Z', fileId: 'f1' });
      expect(await store.manifest.getFile('f1')).toMatchObject({ state: 'loading', completedAt: null, totalRows: 9 });
      // The last two chunks in one load: one update adds both and completes the file.
      chunkLoaded.run({ loaded: 2, duplicates: 1, chunks: 2, at: '2026-11-20T10:00:05.000Z', fileId: 'f1' });
      expect(await store.manifest.getFile('f1')).toMatchObject({
        state: 'complete',
        completedAt: '2026-11-20T10:00:05.000Z',
        validRows: 7,
        rejectedRows: 2,
        loadedRows: 5,
        duplicateRows: 2,
        chunksLoaded: 3,
      });
    } finally {
      db.close();
      await store.close();
    }
  });
});
