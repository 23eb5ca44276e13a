/**
 * Raw load throughput of SqliteEtlStore.loadChunk (no pipeline around it): new rows, then the same
 * rows again as duplicates. Run: `npx tsx shared/sql/bench/sqlite-load-bench.ts [rows] [chunkRows]`.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEtlStore } from '../open-etl-store.js';
import { contractDataset, eventFact } from '../test/contract-fixtures.js';

const rows = Number(process.argv[2] ?? 200_000);
const chunkRows = Number(process.argv[3] ?? 2000);
const dir = mkdtempSync(join(tmpdir(), 'etl-sqlite-bench-'));
const store = await openEtlStore({ driver: 'sqlite', path: join(dir, 'bench.sqlite') });
const dataset = contractDataset('bench');
await store.migrate([dataset]);
const fileId = 'bench-file';
await store.manifest.beginFile({ fileId, dataset: dataset.name, blobName: 'bench/a.csv', blobEtag: '"1"', receivedAt: new Date().toISOString() });
const types = ['temperature', 'pressure', 'motion'];
const chunks = [];
for (let start = 0; start < rows; start += chunkRows) {
  chunks.push(
    Array.from({ length: Math.min(chunkRows, rows - start) }, (_, index) => {
      const id = start + index + 1;
      return eventFact(
        dataset,
        { id: Number.parseInt(createHash('sha1').update(String(id)).digest('hex').slice(0, 12), 16), deviceType: types[id % 3], at: new Date(Date.UTC(2026, 10, 20) + id * 37).toISOString(), duration: id % 1000, note: 'bench row' },
        fileId,
        id,
      );
    }),
  );
}
for (const pass of ['new', 'duplicate']) {
  const started = process.hrtime.bigint();
  let loaded = 0;
  for (const [index, facts] of chunks.entries()) {
    const result = await store.facts.loadChunk({ dataset, fileId, chunkId: `${pass}/${index}`, facts }, (fresh) => [
      { id: `${pass}/${index}`, destination: 'aggregates', partitionKey: 'p', body: `{"n":${fresh.length}}` },
    ]);
    loaded += result.loaded + result.duplicates;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(`${pass}: ${loaded} rows in ${seconds.toFixed(2)} s = ${Math.round(loaded / seconds)} rows/s (chunks of ${chunkRows})`);
}
await store.close();
rmSync(dir, { recursive: true, force: true });
