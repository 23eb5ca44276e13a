/**
 * The order of the Azure SQL fact loader's statements inside one transaction: the manifest rows of
 * a load are updated after every fact is in, once per file and in file-id order, so the row lock a
 * manifest update takes is held only until the commit and two loads lock files in the same order.
 * Run through the translating session on SQLite (statement order is the adapter's, not the server's).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, expect, it } from 'vitest';
import { MssqlFactLoader } from '../mssql/mssql-fact-loader.js';
import { CHUNK_LOADED, CLAIM_LEDGER, INSERT_OUTBOX, datasetStatements } from '../mssql/mssql-statements.js';
import type { TsqlRunner, TsqlSession } from '../mssql/tsql-session.js';
import { SqliteEtlStore } from '../sqlite/sqlite-etl-store.js';
import { datasetTables } from '../dataset-tables.js';
import { contractDataset, eventFact } from './contract-fixtures.js';
import { SqliteTranslatingSession } from './sqlite-translating-session.js';

const dir = mkdtempSync(join(tmpdir(), 'etl-mssql-order-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('updates each file manifest once, after the facts, in file-id order', async () => {
  const path = join(dir, 'etl.sqlite');
  const dataset = contractDataset('ordered');
  const schema = await SqliteEtlStore.open(path);
  await schema.migrate([dataset]);
  for (const fileId of ['file-a', 'file-b']) {
    await schema.manifest.beginFile({
      fileId,
      dataset: dataset.name,
      blobName: `${fileId}.csv`,
      blobEtag: '"1"',
      receivedAt: '2026-11-20T10:00:00.000Z',
    });
  }
  const db = new Database(path);
  const inner = new SqliteTranslatingSession(db);
  const issued: { text: string; fileId?: unknown }[] = [];
  const recording: TsqlSession = {
    query: (what, statement, values) => inner.query(what, statement, values),
    transaction: (what, work) =>
      inner.transaction(what, (runner) =>
        work({
          run: (statement, values) => {
            issued.push({ text: statement.text, fileId: values?.fileId });
            return runner.run(statement, values);
          },
        } satisfies TsqlRunner),
      ),
  };
  try {
    const loader = new MssqlFactLoader(recording, () => new Date('2026-11-20T10:01:00.000Z'));
    const chunk = (fileId: string, index: number, ids: number[]) => ({
      dataset,
      fileId,
      chunkId: `${fileId}/${index}`,
      facts: ids.map((id, row) => eventFact(dataset, { id }, fileId, row + 1)),
    });
    // Chunks of file-b come first in the batch; its manifest still comes second.
    const result = await loader.loadChunks(
      [chunk('file-b', 0, [1, 2]), chunk('file-a', 0, [3]), chunk('file-b', 1, [4, 2]), chunk('file-a', 1, [5])],
      (newFacts, idPrefix) => [{ id: `${idPrefix}/all`, destination: 'aggregates', partitionKey: 'p', body: String(newFacts.length) }],
    );
    expect(result.chunks.map((counts) => counts.loaded)).toEqual([2, 1, 1, 1]);

    const kinds = issued.map(({ text, fileId }) => {
      if (text === CLAIM_LEDGER.text) return 'claim';
      if (text === datasetStatements(datasetTables(dataset)).insertFacts.text) return 'facts';
      if (text === CHUNK_LOADED.text) return `manifest ${String(fileId)}`;
      if (text === INSERT_OUTBOX.text) return 'outbox';
      return text.slice(0, 30);
    });
    expect(kinds).toEqual([
      'claim',
      'facts',
      'claim',
      'facts',
      'claim',
      'facts',
      'claim',
      'facts',
      'manifest file-a',
      'manifest file-b',
      'outbox',
    ]);
    expect(await schema.manifest.getFile('file-a')).toMatchObject({ loadedRows: 2, duplicateRows: 0, chunksLoaded: 2 });
    expect(await schema.manifest.getFile('file-b')).toMatchObject({ loadedRows: 3, duplicateRows: 1, chunksLoaded: 2 });
  } finally {
    db.close();
    await schema.close();
  }
});
