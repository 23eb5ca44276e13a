/**
 * T-SQL DDL: the numbered core migrations (same numbers as SQLite) and the per-dataset objects.
 * Every statement checks the catalog first, so re-running a migration is a no-op; object names
 * reach the catalog checks as parameters, and appear in DDL only quoted as [name].
 */
import { windowColumnNames, type DatasetTables } from '../dataset-tables.js';
import type { MigrationScripts } from '../schema-migrations.js';
import { quoteTsql as q } from '../sql-identifier.js';
import { BIGINT, DATETIME2, INT, nvarchar, tsqlColumnType, tsqlTypeText, type TsqlStatement } from './tsql-types.js';
import { DATASET_NAME_LENGTH } from '../../datasets/dataset-schema.js';

const NAME = { name: nvarchar(128) };

/** Ids (files, ledger, outbox, dimension keys) are case- and accent-sensitive, as blob paths are. */
const EXACT = 'COLLATE Latin1_General_100_BIN2';

/** `IF <object missing> <create>`: the catalog lookup takes the name as a parameter. */
function ifMissing(kind: 'table' | 'type' | 'index', create: string): TsqlStatement {
  const check = {
    table: 'SELECT 1 FROM sys.tables WHERE name = @name AND schema_id = SCHEMA_ID()',
    type: 'SELECT 1 FROM sys.types WHERE name = @name AND is_table_type = 1 AND schema_id = SCHEMA_ID()',
    index: 'SELECT 1 FROM sys.indexes WHERE name = @name',
  }[kind];
  return { text: `IF NOT EXISTS (${check})\n${create}`, parameters: NAME };
}

/** A DDL step with the object name its existence check needs. */
export interface DdlStep {
  readonly statement: TsqlStatement;
  readonly name: string;
  /** For a step on a column (`name`), its table, bound as `@table`. */
  readonly table?: string;
  /** What it does to the object (the statement catalogue names it so); `create` unless said. */
  readonly action?: 'create' | 'drop';
}

/** The parameter values a step's catalog checks take. */
export function ddlStepValues(step: DdlStep): Record<string, string> {
  return step.table === undefined ? { name: step.name } : { name: step.name, table: step.table };
}

const step = (kind: 'table' | 'type' | 'index', name: string, create: string): DdlStep => ({ statement: ifMissing(kind, create), name });

/** `IF <table present> DROP TABLE`: the catalog lookup takes the name as a parameter. */
const dropTable = (name: string): DdlStep => ({
  statement: {
    text: `IF EXISTS (SELECT 1 FROM sys.tables WHERE name = @name AND schema_id = SCHEMA_ID())\nDROP TABLE ${q(name)}`,
    parameters: NAME,
  },
  name,
  action: 'drop',
});

/**
 * `IF <column present> DROP COLUMN`. SQL Server refuses to drop a column that a constraint uses, and
 * a column's DEFAULT constraint has a name the server generated, so it is looked up in
 * `sys.default_constraints` and dropped first, its name quoted by QUOTENAME in dynamic SQL.
 */
const dropColumn = (table: string, column: string): DdlStep => ({
  statement: {
    text: `DECLARE @constraint SYSNAME;
DECLARE @drop NVARCHAR(600);
IF EXISTS (SELECT 1 FROM sys.columns AS c JOIN sys.tables AS t ON t.object_id = c.object_id
  WHERE t.name = @table AND t.schema_id = SCHEMA_ID() AND c.name = @name)
BEGIN
  SELECT @constraint = d.name FROM sys.default_constraints AS d
    JOIN sys.tables AS t ON t.object_id = d.parent_object_id
    JOIN sys.columns AS c ON c.object_id = d.parent_object_id AND c.column_id = d.parent_column_id
    WHERE t.name = @table AND t.schema_id = SCHEMA_ID() AND c.name = @name;
  IF @constraint IS NOT NULL
  BEGIN
    SET @drop = N'ALTER TABLE ' + QUOTENAME(@table) + N' DROP CONSTRAINT ' + QUOTENAME(@constraint);
    EXEC sp_executesql @drop;
  END;
  ALTER TABLE ${q(table)} DROP COLUMN ${q(column)};
END`,
    parameters: { name: nvarchar(128), table: nvarchar(128) },
  },
  name: column,
  table,
  action: 'drop',
});

export const MSSQL_SCHEMA_VERSION_TABLE: DdlStep = step(
  'table',
  'etl_schema_version',
  `CREATE TABLE [etl_schema_version] (
  [version] INT NOT NULL CONSTRAINT [etl_schema_version_pk] PRIMARY KEY,
  [description] NVARCHAR(400) NOT NULL,
  [applied_at] DATETIME2(3) NOT NULL
)`,
);

/** Serialises concurrent migrations (several instances start at once): a transaction-owned app lock. */
export const MSSQL_MIGRATION_LOCK: TsqlStatement = {
  text: `DECLARE @granted INT;
EXEC @granted = sp_getapplock @Resource = @resource, @LockMode = @mode, @LockOwner = @owner, @LockTimeout = @timeoutMs;
IF @granted < 0 THROW 51000, N'schema migration lock not granted', 1`,
  parameters: { resource: nvarchar(255), mode: nvarchar(32), owner: nvarchar(32), timeoutMs: INT },
};

export const MSSQL_SELECT_SCHEMA_VERSIONS: TsqlStatement = { text: 'SELECT [version] FROM [etl_schema_version]', parameters: {} };

export const MSSQL_INSERT_SCHEMA_VERSION: TsqlStatement = {
  text: 'INSERT INTO [etl_schema_version] ([version], [description], [applied_at]) VALUES (@version, @description, @at)',
  parameters: { version: INT, description: nvarchar(400), at: DATETIME2 },
};

export const MSSQL_REGISTER_DATASET: TsqlStatement = {
  text: `UPDATE [etl_datasets] SET [version] = @version, [migrated_at] = @at WHERE [dataset] = @dataset;
IF @@ROWCOUNT = 0 INSERT INTO [etl_datasets] ([dataset], [version], [migrated_at]) VALUES (@dataset, @version, @at)`,
  parameters: { dataset: nvarchar(DATASET_NAME_LENGTH), version: INT, at: DATETIME2 },
};

/** The numbered migrations as DDL steps (numbering checked against SQLite's by `orderedScripts`). */
export const MSSQL_MIGRATION_STEPS: MigrationScripts<DdlStep> = {
  1: [
    step(
      'table',
      'etl_files',
      `CREATE TABLE [etl_files] (
  [file_id] NVARCHAR(400) ${EXACT} NOT NULL CONSTRAINT [etl_files_pk] PRIMARY KEY,
  [dataset] NVARCHAR(63) NOT NULL,
  [blob_name] NVARCHAR(1024) NOT NULL,
  [blob_etag] NVARCHAR(128) NOT NULL,
  [state] NVARCHAR(16) NOT NULL,
  [total_rows] BIGINT NOT NULL DEFAULT 0,
  [valid_rows] BIGINT NOT NULL DEFAULT 0,
  [rejected_rows] BIGINT NOT NULL DEFAULT 0,
  [transform_rejected_rows] BIGINT NOT NULL DEFAULT 0,
  [loaded_rows] BIGINT NOT NULL DEFAULT 0,
  [duplicate_rows] BIGINT NOT NULL DEFAULT 0,
  [chunks] INT NOT NULL DEFAULT 0,
  [chunks_loaded] INT NOT NULL DEFAULT 0,
  [chunks_dead_lettered] INT NOT NULL DEFAULT 0,
  [error] NVARCHAR(4000) NULL,
  [received_at] DATETIME2(3) NOT NULL,
  [extracted_at] DATETIME2(3) NULL,
  [completed_at] DATETIME2(3) NULL,
  [updated_at] DATETIME2(3) NOT NULL
)`,
    ),
    // The status API lists files by state and dataset, newest first.
    step('index', 'etl_files_by_state', 'CREATE INDEX [etl_files_by_state] ON [etl_files] ([state], [dataset], [received_at])'),
    // Ledger ids (chunk and partial ids) can exceed the 900-byte clustered key limit, so the key is
    // a nonclustered primary key (1700 bytes) on a heap: the table is only ever probed by that key.
    step(
      'table',
      'etl_ledger',
      `CREATE TABLE [etl_ledger] (
  [stage] NVARCHAR(16) NOT NULL,
  [id] NVARCHAR(800) ${EXACT} NOT NULL,
  [applied_at] DATETIME2(3) NOT NULL,
  CONSTRAINT [etl_ledger_pk] PRIMARY KEY NONCLUSTERED ([stage], [id])
)`,
    ),
    // Clustered on seq (write order, appends); the id is unique so a retried write is a no-op.
    step(
      'table',
      'etl_outbox',
      `CREATE TABLE [etl_outbox] (
  [seq] BIGINT IDENTITY(1, 1) NOT NULL CONSTRAINT [etl_outbox_pk] PRIMARY KEY CLUSTERED,
  [id] NVARCHAR(800) ${EXACT} NOT NULL CONSTRAINT [etl_outbox_id] UNIQUE NONCLUSTERED,
  [destination] NVARCHAR(200) NOT NULL,
  [partition_key] NVARCHAR(400) NOT NULL,
  [body] NVARCHAR(MAX) NOT NULL,
  [created_at] DATETIME2(3) NOT NULL,
  [published_at] DATETIME2(3) NULL
)`,
    ),
    // The relay reads only unpublished rows, oldest first: a filtered index keeps that read small.
    step('index', 'etl_outbox_unpublished', 'CREATE INDEX [etl_outbox_unpublished] ON [etl_outbox] ([seq]) WHERE [published_at] IS NULL'),
    step(
      'table',
      'etl_datasets',
      `CREATE TABLE [etl_datasets] (
  [dataset] NVARCHAR(63) NOT NULL CONSTRAINT [etl_datasets_pk] PRIMARY KEY,
  [version] INT NOT NULL,
  [migrated_at] DATETIME2(3) NOT NULL
)`,
    ),
  ],
  2: [
    step(
      'table',
      'etl_dead_letters',
      `CREATE TABLE [etl_dead_letters] (
  [id] NVARCHAR(400) ${EXACT} NOT NULL CONSTRAINT [etl_dead_letters_pk] PRIMARY KEY,
  [stage] NVARCHAR(16) NOT NULL,
  [source] NVARCHAR(200) NOT NULL,
  [dataset] NVARCHAR(63) NULL,
  [file_id] NVARCHAR(400) NULL,
  [partition_key] NVARCHAR(400) NULL,
  [body] NVARCHAR(MAX) NOT NULL,
  [properties] NVARCHAR(MAX) NOT NULL,
  [error] NVARCHAR(MAX) NOT NULL,
  [attempts] INT NOT NULL,
  [failed_at] DATETIME2(3) NOT NULL,
  [replayed_at] DATETIME2(3) NULL
)`,
    ),
    // The CLI and status API list dead letters per stage, oldest first.
    step('index', 'etl_dead_letters_by_stage', 'CREATE INDEX [etl_dead_letters_by_stage] ON [etl_dead_letters] ([stage], [failed_at])'),
  ],
  // Dead letters live in blob storage, which works while the database is down; the table (and its
  // index with it) goes, whatever it holds.
  3: [dropTable('etl_dead_letters')],
  // Only extract rejects rows (and counts them in rejected_rows); transform parks whole chunks.
  4: [dropColumn('etl_files', 'transform_rejected_rows')],
};

/** Name of the table type that carries one chunk of facts as a table-valued parameter. */
export function factsRowsType(tables: DatasetTables): string {
  return `${tables.factsTable}_rows`;
}

/** The objects of one dataset: facts table and its indexes, the TVP type, the window table. */
export function mssqlDatasetSteps(tables: DatasetTables): DdlStep[] {
  // Key text compares byte for byte (BIN2), as in SQLite: the default collation would make keys
  // differing only in case or accents duplicates of each other.
  const keyNames = new Set(tables.keyColumns.map((column) => column.name));
  const columns = tables.factColumns.map((column) => {
    const type = tsqlColumnType(column);
    const collate = keyNames.has(column.name) && type.kind === 'nvarchar' ? ` ${EXACT}` : '';
    return `${q(column.name)} ${tsqlTypeText(type)}${collate} ${column.required || keyNames.has(column.name) ? 'NOT NULL' : 'NULL'}`;
  });
  const key = tables.keyColumns.map((column) => q(column.name)).join(', ');
  const steps: DdlStep[] = [
    // De-duplication probes the key: a nonclustered primary key. The rows are clustered by window
    // instead, so random uuid keys do not split data pages and window scans read neighbours.
    step(
      'table',
      tables.factsTable,
      `CREATE TABLE ${q(tables.factsTable)} (\n  ${columns.join(',\n  ')},\n  CONSTRAINT ${q(`${tables.factsTable}_pk`)} PRIMARY KEY NONCLUSTERED (${key})\n)`,
    ),
    // Without an event time there are no windows: rows are clustered in the order files load them.
    tables.dataset.eventTime === undefined
      ? step(
          'index',
          `${tables.factsTable}_by_file`,
          `CREATE CLUSTERED INDEX ${q(`${tables.factsTable}_by_file`)} ON ${q(tables.factsTable)} ([file_id], [row_number])`,
        )
      : step(
          'index',
          `${tables.factsTable}_by_window`,
          `CREATE CLUSTERED INDEX ${q(`${tables.factsTable}_by_window`)} ON ${q(tables.factsTable)} ([window_start])`,
        ),
    // A chunk travels as one table-valued parameter of this type; its key makes in-chunk duplicates impossible.
    step(
      'type',
      factsRowsType(tables),
      `CREATE TYPE ${q(factsRowsType(tables))} AS TABLE (\n  ${columns.join(',\n  ')},\n  PRIMARY KEY (${key})\n)`,
    ),
  ];
  const report = tables.dataset.report;
  if (report) {
    // The daily report reads one day grouped by its dimension, and only the measure.
    steps.push(
      step(
        'index',
        `${tables.factsTable}_by_day`,
        `CREATE INDEX ${q(`${tables.factsTable}_by_day`)} ON ${q(tables.factsTable)} ([event_date], ${q(report.dimension)}) INCLUDE (${q(report.measure)})`,
      ),
    );
  }
  const windowColumns = windowColumnNames(tables).map((name) => `${q(name)} ${windowColumnType(tables, name)}`);
  // One row per window and dimension value: merges look it up by exactly this key.
  steps.push(
    step(
      'table',
      tables.windowsTable,
      `CREATE TABLE ${q(tables.windowsTable)} (\n  ${windowColumns.join(',\n  ')},\n  [updated_at] DATETIME2(3) NOT NULL,\n  CONSTRAINT ${q(`${tables.windowsTable}_pk`)} PRIMARY KEY CLUSTERED ([window_start], [dimension_key])\n)`,
    ),
  );
  return steps;
}

/**
 * Window column types. Dimension values are stored as text, each column as long as its longest
 * value and `dimension_key` as long as the longest key (the declaration keeps that within the
 * 900-byte clustered key limit together with window_start).
 */
export function windowColumnType(tables: DatasetTables, name: string): string {
  if (name === 'window_start') return 'DATETIME2(3) NOT NULL';
  if (name === 'dimension_key') return `${tsqlTypeText(nvarchar(tables.dimensionKeyLength))} ${EXACT} NOT NULL`;
  if (name === 'count') return `${tsqlTypeText(BIGINT)} NOT NULL`;
  const dimension = tables.dimensionColumns.find((column) => column.name === name);
  if (dimension) return `${tsqlTypeText(nvarchar(Math.max(1, dimension.maxLength)))} NOT NULL`;
  if (Object.values(tables.sketchColumns).includes(name)) return 'NVARCHAR(MAX) NULL';
  for (const columns of Object.values(tables.measureColumns)) {
    if (name === columns.count) return 'BIGINT NOT NULL';
    if (name === columns.sum || name === columns.sumOfSquares) return 'FLOAT NOT NULL';
    if (name === columns.min || name === columns.max) return 'FLOAT NULL';
  }
  throw new Error(`unknown window column ${name}`);
}
