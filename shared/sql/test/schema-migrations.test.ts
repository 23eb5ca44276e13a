/** Both dialects implement the same numbered migrations, and migrating SQLite twice records each once. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SCHEMA_MIGRATIONS, orderedScripts } from '../schema-migrations.js';
import { SQLITE_MIGRATIONS, SQLITE_SCHEMA_VERSION_TABLE } from '../sqlite/sqlite-schema.js';
import { MSSQL_MIGRATION_STEPS } from '../mssql/mssql-schema.js';
import { SqliteEtlStore } from '../sqlite/sqlite-etl-store.js';
import { runMigrations } from '../migrate-command.js';
import { datasetTables } from '../dataset-tables.js';
import { quoteSqlite } from '../sql-identifier.js';
import Database from 'better-sqlite3';
import { contractDataset } from './contract-fixtures.js';

describe('schema migrations', () => {
  it('has the same numbered steps in SQLite and T-SQL', () => {
    const numbers = SCHEMA_MIGRATIONS.map((migration) => migration.version);
    expect(orderedScripts(SQLITE_MIGRATIONS).map((m) => m.version)).toEqual(numbers);
    expect(orderedScripts(MSSQL_MIGRATION_STEPS).map((m) => m.version)).toEqual(numbers);
    expect(() => orderedScripts({ ...SQLITE_MIGRATIONS, 99: [] })).toThrow(/do not match/);
  });

  it('records each SQLite migration once however often it runs, through the migrate command', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'etl-migrate-')), 'etl.sqlite');
    const datasets = [contractDataset('first'), contractDataset('second')];
    expect(await runMigrations({ driver: 'sqlite', path }, datasets)).toEqual({ datasets: ['first', 'second'] });
    await runMigrations({ driver: 'sqlite', path }, datasets);
    const store = await SqliteEtlStore.open(path);
    try {
      expect(await store.schemaVersions()).toEqual(SCHEMA_MIGRATIONS.map((migration) => migration.version));
      expect(await store.query.countFacts(datasets[1] ?? datasets[0]!)).toBe(0);
    } finally {
      await store.close();
    }
  });

  it('drops etl_dead_letters from a database made before migration 3, rows and all, and records 3 once', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'etl-migrate-')), 'etl.sqlite');
    // What an earlier version made: migrations 1 and 2, and a dead letter in the table.
    const before = new Database(path);
    before.exec(SQLITE_SCHEMA_VERSION_TABLE);
    for (const version of [1, 2]) {
      for (const statement of SQLITE_MIGRATIONS[version] ?? []) before.exec(statement);
      before
        .prepare('INSERT INTO etl_schema_version (version, description, applied_at) VALUES (?, ?, ?)')
        .run(version, 'earlier', '2026-11-01T00:00:00.000Z');
    }
    before
      .prepare(
        `INSERT INTO etl_dead_letters (id, stage, source, body, properties, error, attempts, failed_at) VALUES ('l1', 'transform', 'records', '{}', '{}', 'e', 1, '2026-11-01T00:00:00.000Z')`,
      )
      .run();
    before.close();
    const tables = () => {
      const db = new Database(path, { readonly: true });
      try {
        return (db.prepare(`SELECT name FROM sqlite_master WHERE name LIKE 'etl_dead_letters%'`).all() as { name: string }[]).map(
          (row) => row.name,
        );
      } finally {
        db.close();
      }
    };
    expect(tables()).toEqual(expect.arrayContaining(['etl_dead_letters', 'etl_dead_letters_by_stage']));

    await runMigrations({ driver: 'sqlite', path }, [contractDataset('after')]);
    await runMigrations({ driver: 'sqlite', path }, [contractDataset('after')]);
    expect(tables()).toEqual([]);
    const store = await SqliteEtlStore.open(path);
    try {
      expect(await store.schemaVersions()).toEqual([1, 2, 3, 4]);
    } finally {
      await store.close();
    }
  });

  it('drops etl_files.transform_rejected_rows from a database made before migration 4 and keeps its files', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'etl-migrate-')), 'etl.sqlite');
    // What an earlier version made: migrations 1 to 3, and a complete file in the manifest.
    const before = new Database(path);
    before.exec(SQLITE_SCHEMA_VERSION_TABLE);
    for (const version of [1, 2, 3]) {
      for (const statement of SQLITE_MIGRATIONS[version] ?? []) before.exec(statement);
      before
        .prepare('INSERT INTO etl_schema_version (version, description, applied_at) VALUES (?, ?, ?)')
        .run(version, 'earlier', '2026-11-01T00:00:00.000Z');
    }
    before
      .prepare(
        `INSERT INTO etl_files (file_id, dataset, blob_name, blob_etag, state, total_rows, valid_rows, rejected_rows, transform_rejected_rows,
           loaded_rows, duplicate_rows, chunks, chunks_loaded, received_at, extracted_at, completed_at, updated_at)
         VALUES ('f1', 'd', 'd/a.csv', '"1"', 'complete', 10, 8, 2, 0, 7, 1, 2, 2, '2026-11-01T00:00:00.000Z', '2026-11-01T00:00:01.000Z', '2026-11-01T00:00:02.000Z', '2026-11-01T00:00:02.000Z')`,
      )
      .run();
    before.close();
    const columns = () => {
      const db = new Database(path, { readonly: true });
      try {
        return (db.prepare('SELECT name FROM pragma_table_info(?)').all('etl_files') as { name: string }[]).map((row) => row.name);
      } finally {
        db.close();
      }
    };
    expect(columns()).toContain('transform_rejected_rows');

    await runMigrations({ driver: 'sqlite', path }, [contractDataset('after')]);
    await runMigrations({ driver: 'sqlite', path }, [contractDataset('after')]);
    expect(columns()).not.toContain('transform_rejected_rows');
    expect(columns()).toContain('rejected_rows');
    const store = await SqliteEtlStore.open(path);
    try {
      expect(await store.schemaVersions()).toEqual([1, 2, 3, 4]);
      expect(await store.manifest.getFile('f1')).toMatchObject({
        state: 'complete',
        totalRows: 10,
        validRows: 8,
        rejectedRows: 2,
        loadedRows: 7,
        duplicateRows: 1,
        chunks: 2,
        chunksLoaded: 2,
        completedAt: '2026-11-01T00:00:02.000Z',
      });
    } finally {
      await store.close();
    }
  });

  it('drops the daily-report index that earlier versions made on SQLite facts, and the report still answers', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'etl-migrate-')), 'etl.sqlite');
    const dataset = contractDataset('old');
    await runMigrations({ driver: 'sqlite', path }, [dataset]);
    const tables = datasetTables(dataset);
    const indexName = `${tables.factsTable}_by_day`;
    const indexes = () => {
      const db = new Database(path, { readonly: true });
      try {
        return (
          db.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?`).all(tables.factsTable) as { name: string }[]
        ).map((row) => row.name);
      } finally {
        db.close();
      }
    };
    // What a database made by an earlier version had.
    const db = new Database(path);
    db.exec(
      `CREATE INDEX ${quoteSqlite(indexName)} ON ${quoteSqlite(tables.factsTable)} (event_date, ${quoteSqlite(dataset.report!.dimension)})`,
    );
    db.close();
    expect(indexes()).toContain(indexName);

    await runMigrations({ driver: 'sqlite', path }, [dataset]);
    expect(indexes()).not.toContain(indexName);
    const store = await SqliteEtlStore.open(path);
    try {
      expect(await store.report.dailyPercentile(dataset)).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
