/**
 * A landed file whose folder names no declared dataset fails with its reason in a manifest row,
 * whatever the folder is called. Run against the Azure SQL manifest store (its T-SQL on SQLite,
 * held to the T-SQL sizes): a folder name longer than the manifest's dataset column used to be
 * bound as it was, which Azure SQL refuses, so the landing message went to poison with no row.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDatasets } from '../datasets/dataset-registry.js';
import type { DatasetDeclaration } from '../datasets/dataset-declaration.js';
import { MssqlManifestStore } from '../sql/mssql/mssql-manifest-store.js';
import { SqliteEtlStore } from '../sql/sqlite/sqlite-etl-store.js';
import { SqliteTranslatingSession } from '../sql/test/sqlite-translating-session.js';
import { silentLogger } from '../runtime/logger.js';
import { extractFile, type ExtractDependencies } from './extract-handler.js';

const unused = (what: string) => () => {
  throw new Error(`${what} must not be used for a file without a dataset`);
};

describe('extract of a file in a folder that names no dataset', () => {
  const dir = mkdtempSync(join(tmpdir(), 'etl-landing-folders-'));
  let schema: SqliteEtlStore;
  let db: Database.Database;
  let deps: ExtractDependencies;

  beforeAll(async () => {
    const datasets: ReadonlyMap<string, DatasetDeclaration> = await loadDatasets();
    schema = await SqliteEtlStore.open(join(dir, 'etl.sqlite'));
    await schema.migrate([...datasets.values()]);
    db = new Database(join(dir, 'etl.sqlite'));
    const session = new SqliteTranslatingSession(db);
    session.learnTsqlSchema([...datasets.values()]);
    deps = {
      datasets,
      blobs: {
        info: async (_container, name) => ({ etag: `"${name.length}"`, contentLength: 10 }),
        read: unused('the blob content'),
      },
      manifest: new MssqlManifestStore(session),
      rejected: { open: unused('the rejected-row sink'), has: unused('the rejected-row sink') },
      records: { partitionIds: unused('the records hub'), publish: unused('the records hub'), close: async () => {} },
      chunk: { maxRows: 100, maxBytes: 100_000 },
      plans: { pin: unused('the chunk plans') },
      clock: () => new Date('2026-11-20T10:00:00.000Z'),
      log: silentLogger,
    };
  });

  afterAll(async () => {
    db?.close();
    await schema?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    [
      'a folder name longer than a dataset name can be',
      `${'a'.repeat(70)}/x.csv`,
      '',
      /folder 'a{70}' cannot name a dataset \(names are .*known datasets: iot_events/,
    ],
    ['a folder name of a hundred characters', `${'b'.repeat(100)}/x.csv`, '', /folder 'b{80}…' \(100 characters\) cannot name a dataset/],
    ['a folder name with capitals and spaces', 'My Exports/2026/x.csv', '', /folder 'My Exports' cannot name a dataset/],
    ['a file at the container root', 'x.csv', '', /'x\.csv' is not in a dataset folder/],
    ['a dataset name nobody declared', 'weather/x.csv', 'weather', /no dataset 'weather'.*known: iot_events/],
  ])('%s: failed, with its reason in a manifest row', async (_case, blobName, recordedAs, reason) => {
    const outcome = await extractFile(deps, { container: 'landing', blobName });
    expect(outcome).toMatchObject({ status: 'failed', reason: expect.stringMatching(reason) });
    const manifest = outcome.fileId === undefined ? undefined : await deps.manifest.getFile(outcome.fileId);
    expect(manifest).toMatchObject({ state: 'failed', dataset: recordedAs, blobName, error: expect.stringMatching(reason) });
  });
});
