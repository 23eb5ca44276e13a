/**
 * SQLite DDL: the numbered core migrations and the per-dataset tables. Every statement but
 * migration 4's DROP COLUMN is idempotent (`IF NOT EXISTS`); a whole migrate runs in one
 * transaction that also records the versions it ran, so none is half applied or run twice.
 */
import type { DatasetTables, FactColumn } from '../dataset-tables.js';
import type { MigrationScripts } from '../schema-migrations.js';
import { quoteSqlite as q } from '../sql-identifier.js';

export const SQLITE_SCHEMA_VERSION_TABLE = `CREATE TABLE IF NOT EXISTS etl_schema_version (
  version INTEGER PRIMARY KEY,
  description TEXT NOT NULL,
  applied_at TEXT NOT NULL
)`;

export const SQLITE_MIGRATIONS: MigrationScripts = {
  1: [
    `CREATE TABLE IF NOT EXISTS etl_files (
      file_id TEXT PRIMARY KEY,
      dataset TEXT NOT NULL,
      blob_name TEXT NOT NULL,
      blob_etag TEXT NOT NULL,
      state TEXT NOT NULL,
      total_rows INTEGER NOT NULL DEFAULT 0,
      valid_rows INTEGER NOT NULL DEFAULT 0,
      rejected_rows INTEGER NOT NULL DEFAULT 0,
      transform_rejected_rows INTEGER NOT NULL DEFAULT 0,
      loaded_rows INTEGER NOT NULL DEFAULT 0,
      duplicate_rows INTEGER NOT NULL DEFAULT 0,
      chunks INTEGER NOT NULL DEFAULT 0,
      chunks_loaded INTEGER NOT NULL DEFAULT 0,
      chunks_dead_lettered INTEGER NOT NULL DEFAULT 0,
      error TEXT,
      received_at TEXT NOT NULL,
      extracted_at TEXT,
      completed_at TEXT,
      updated_at TEXT NOT NULL
    )`,
    // The status API lists files by state and dataset, newest first.
    'CREATE INDEX IF NOT EXISTS etl_files_by_state ON etl_files (state, dataset, received_at)',
    // The ledger is only ever probed by its full key, so the key is the table (no rowid).
    `CREATE TABLE IF NOT EXISTS etl_ledger (
      stage TEXT NOT NULL,
      id TEXT NOT NULL,
      applied_at TEXT NOT NULL,
      PRIMARY KEY (stage, id)
    ) WITHOUT ROWID`,
    // seq keeps the outbox in write order; id makes a retried write a no-op.
    `CREATE TABLE IF NOT EXISTS etl_outbox (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      id TEXT NOT NULL UNIQUE,
      destination TEXT NOT NULL,
      partition_key TEXT NOT NULL,
      body TEXT NOT NULL,
      created_at TEXT NOT NULL,
      published_at TEXT
    )`,
    // The relay reads only unpublished rows, oldest first: a partial index keeps that read small.
    'CREATE INDEX IF NOT EXISTS etl_outbox_unpublished ON etl_outbox (seq) WHERE published_at IS NULL',
    `CREATE TABLE IF NOT EXISTS etl_datasets (
      dataset TEXT PRIMARY KEY,
      version INTEGER NOT NULL,
      migrated_at TEXT NOT NULL
    )`,
  ],
  2: [
    `CREATE TABLE IF NOT EXISTS etl_dead_letters (
      id TEXT PRIMARY KEY,
      stage TEXT NOT NULL,
      source TEXT NOT NULL,
      dataset TEXT,
      file_id TEXT,
      partition_key TEXT,
      body TEXT NOT NULL,
      properties TEXT NOT NULL,
      error TEXT NOT NULL,
      attempts INTEGER NOT NULL,
      failed_at TEXT NOT NULL,
      replayed_at TEXT
    )`,
    // The CLI and status API list dead letters per stage, oldest first.
    'CREATE INDEX IF NOT EXISTS etl_dead_letters_by_stage ON etl_dead_letters (stage, failed_at)',
  ],
  // Dead letters live in blob storage, which works while the database is down; the table (and its
  // index with it) goes, whatever it holds.
  3: ['DROP TABLE IF EXISTS etl_dead_letters'],
  // Only extract rejects rows (and counts them in rejected_rows); transform parks whole chunks.
  // SQLite has no DROP COLUMN IF EXISTS: this runs once because the version is recorded with it.
  4: ['ALTER TABLE etl_files DROP COLUMN transform_rejected_rows'],
};

function sqliteType(column: FactColumn): string {
  switch (column.type) {
    case 'integer':
    case 'boolean':
      return 'INTEGER';
    case 'number':
      return 'REAL';
    default:
      return 'TEXT';
  }
}

/** CREATE statements of one dataset's facts and window tables. */
export function sqliteDatasetDdl(tables: DatasetTables): string[] {
  const factColumns = tables.factColumns.map((column) => `${q(column.name)} ${sqliteType(column)}${column.required ? ' NOT NULL' : ''}`);
  const key = tables.keyColumns.map((column) => q(column.name)).join(', ');
  const statements = [
    // The key's unique index de-duplicates. A rowid table (not WITHOUT ROWID): with random uuid keys,
    // appending rows and indexing only the key is faster than keeping whole rows in key order.
    `CREATE TABLE IF NOT EXISTS ${q(tables.factsTable)} (\n  ${factColumns.join(',\n  ')},\n  PRIMARY KEY (${key})\n)`,
  ];
  // No index for the daily report on SQLite (Azure SQL keeps its covering one). The report's query
  // takes optional bounds (`@from IS NULL OR event_date >= @from`), which SQLite cannot seek on, so
  // its plan read the whole index and then every row by rowid: no faster than a scan, while the
  // index cost transform CPU on every fact (docs/benchmarks.md, "SQL load"). A one-day report on
  // many days of local data now scans them all; the local store favours loading. Databases made
  // before drop it.
  statements.push(`DROP INDEX IF EXISTS ${q(`${tables.factsTable}_by_day`)}`);
  const windowColumns = [
    'window_start TEXT NOT NULL',
    'dimension_key TEXT NOT NULL',
    ...tables.dimensionColumns.map((column) => `${q(column.name)} TEXT NOT NULL`),
    '"count" INTEGER NOT NULL',
    ...Object.values(tables.measureColumns).flatMap((columns) => [
      `${q(columns.count)} INTEGER NOT NULL`,
      `${q(columns.sum)} REAL NOT NULL`,
      `${q(columns.sumOfSquares)} REAL NOT NULL`,
      `${q(columns.min)} REAL`,
      `${q(columns.max)} REAL`,
    ]),
    ...Object.values(tables.sketchColumns).map((column) => `${q(column)} TEXT`),
    'updated_at TEXT NOT NULL',
  ];
  // One row per window and dimension value: merges look it up by exactly this key.
  statements.push(
    `CREATE TABLE IF NOT EXISTS ${q(tables.windowsTable)} (\n  ${windowColumns.join(',\n  ')},\n  PRIMARY KEY (window_start, dimension_key)\n) WITHOUT ROWID`,
  );
  return statements;
}
