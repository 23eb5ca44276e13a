/**
 * Load throughput of SqliteEtlStore against the raw ceiling (a plain prepared INSERT of prebuilt
 * rows, same schema and pragmas), with random uuid keys as real files have: one transaction per
 * chunk (`loadChunk`) and one per group of chunks (`loadChunks`, as transform does with a batch).
 * Run: `npx tsx shared/sql/test/bench/sqlite-load-bench.ts [rows] [chunkRows] [groupRows]`.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openEtlStore } from '../../open-etl-store.js';
import { datasetTables, factRowValues } from '../../dataset-tables.js';
import { contractDataset, makeFact } from '../contract-fixtures.js';

const rows = Number(process.argv[2] ?? 200_000);
const chunkRows = Number(process.argv[3] ?? 2000);
const groupRows = Number(process.argv[4] ?? 50_000);
const dataset = contractDataset('bench');
const types = ['temperature', 'pressure', 'motion'];
const facts = Array.from({ length: rows }, (_, index) =>
  makeFact(
    dataset,
    {
      event_id: randomUUID(),
      device_id: `device-${String(index % 500).padStart(3, '0')}`,
      device_type: types[index % 3] as string,
      timestamp: new Date(Date.UTC(2026, 10, 20) + index * 37).toISOString(),
      event_duration: index % 1000,
      value: index / 10,
      ok: index % 2 === 0,
      note: null,
    },
    'bench-file',
    index + 1,
  ),
);
const rate = (count: number, started: bigint) => Math.round(count / (Number(process.hrtime.bigint() - started) / 1e9));
const dir = mkdtempSync(join(tmpdir(), 'etl-sqlite-bench-'));
try {
  // Raw ceiling: the same table and pragmas, values prebuilt, nothing but INSERT.
  const rawPath = join(dir, 'raw.sqlite');
  const setup = await openEtlStore({ driver: 'sqlite', path: rawPath });
  await setup.migrate([dataset]);
  await setup.close();
  const db = new Database(rawPath);
  for (const pragma of ['journal_mode = WAL', 'synchronous = NORMAL', 'cache_size = -65536', 'wal_autocheckpoint = 32768'])
    db.pragma(pragma);
  const tables = datasetTables(dataset);
  const values = facts.map((fact) => factRowValues(tables, fact).map((value) => (typeof value === 'boolean' ? Number(value) : value)));
  const insert = db.prepare(`INSERT INTO bench_facts VALUES (${tables.factColumns.map(() => '?').join(', ')})`);
  const insertChunk = db.transaction((chunk: unknown[][]) => {
    for (const row of chunk) insert.run(row);
  });
  let started = process.hrtime.bigint();
  for (let start = 0; start < rows; start += chunkRows) insertChunk.immediate(values.slice(start, start + chunkRows));
  console.log(`raw INSERT ceiling, ${chunkRows} rows per transaction: ${rate(rows, started)} rows/s`);
  db.exec('DELETE FROM bench_facts');
  db.pragma('wal_checkpoint(TRUNCATE)');
  started = process.hrtime.bigint();
  for (let start = 0; start < rows; start += groupRows) insertChunk.immediate(values.slice(start, start + groupRows));
  console.log(`raw INSERT ceiling, ${groupRows} rows per transaction: ${rate(rows, started)} rows/s`);
  db.close();

  const store = await openEtlStore({ driver: 'sqlite', path: join(dir, 'store.sqlite') });
  await store.migrate([dataset]);
  await store.manifest.beginFile({
    fileId: 'bench-file',
    dataset: dataset.name,
    blobName: 'bench/a.csv',
    blobEtag: '"1"',
    receivedAt: new Date().toISOString(),
  });
  const load = (chunkId: string, start: number) => ({
    dataset,
    fileId: 'bench-file',
    chunkId,
    facts: facts.slice(start, start + chunkRows),
  });
  const buildOutbox = (fresh: readonly unknown[], idPrefix: string) => [
    { id: idPrefix, destination: 'aggregates', partitionKey: 'p', body: `{"n":${fresh.length}}` },
  ];
  for (const pass of ['new', 'duplicate']) {
    started = process.hrtime.bigint();
    for (let start = 0; start < rows; start += chunkRows) {
      await store.facts.loadChunk(load(`${pass}/${start}`, start), buildOutbox);
    }
    console.log(`loadChunk, ${pass} rows: ${rate(rows, started)} rows/s (${rows} rows, chunks of ${chunkRows})`);
  }
  const grouped = await openEtlStore({ driver: 'sqlite', path: join(dir, 'grouped.sqlite') });
  await grouped.migrate([dataset]);
  started = process.hrtime.bigint();
  const chunksPerGroup = Math.max(1, Math.floor(groupRows / chunkRows));
  for (let start = 0; start < rows; start += chunksPerGroup * chunkRows) {
    const loads = [];
    for (let chunk = start; chunk < Math.min(rows, start + chunksPerGroup * chunkRows); chunk += chunkRows)
      loads.push(load(`group/${chunk}`, chunk));
    await grouped.facts.loadChunks(loads, buildOutbox);
  }
  console.log(`loadChunks, new rows: ${rate(rows, started)} rows/s (chunks of ${chunkRows}, ${chunksPerGroup} per transaction)`);
  await grouped.close();
  await store.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
