/**
 * Every DML statement the Azure SQL adapter issues, generated as text plus parameter types. Pure:
 * tests generate them all without a server and check that values only ever travel as parameters.
 * Row locks: probes that decide "insert or not" read WITH (UPDLOCK, HOLDLOCK), so two concurrent
 * transactions wait on each other instead of both inserting or deadlocking on a key.
 */
import { windowColumnNames, type DatasetTables } from '../dataset-tables.js';
import { quoteTsql as q } from '../sql-identifier.js';
import { factsRowsType, windowColumnType } from './mssql-schema.js';
import { BIGINT, DATE, DATETIME2, FLOAT, INT, nvarchar, type TsqlStatement, type TsqlType } from './tsql-types.js';
import { FILE_ERROR_LENGTH } from '../fit-text.js';
import { fileCompletePredicate, type SqlSpelling } from '../file-complete.js';
import { DATASET_NAME_LENGTH } from '../../datasets/dataset-schema.js';

const FILE_ID = nvarchar(400);
const DATASET = nvarchar(DATASET_NAME_LENGTH);
const LEDGER_ID = nvarchar(800);

// --- ledger ---------------------------------------------------------------------------------------

/** Claims (stage, id); rowsAffected 0 means it was already applied. */
export const CLAIM_LEDGER: TsqlStatement = {
  text: `INSERT INTO [etl_ledger] ([stage], [id], [applied_at])
SELECT @stage, @id, @at
WHERE NOT EXISTS (SELECT 1 FROM [etl_ledger] WITH (UPDLOCK, HOLDLOCK) WHERE [stage] = @stage AND [id] = @id)`,
  parameters: { stage: nvarchar(16), id: LEDGER_ID, at: DATETIME2 },
};

/**
 * Claims many ids of one stage at once (ids as a JSON array of `{ "id": … }`, distinct); OUTPUT
 * lists those that were not in the ledger yet.
 */
export const CLAIM_LEDGER_MANY: TsqlStatement = {
  text: `INSERT INTO [etl_ledger] ([stage], [id], [applied_at])
OUTPUT inserted.[id]
SELECT @stage, c.[id], @at
FROM OPENJSON(@ids) WITH ([id] NVARCHAR(800) '$.id') AS c
WHERE NOT EXISTS (SELECT 1 FROM [etl_ledger] AS l WITH (UPDLOCK, HOLDLOCK) WHERE l.[stage] = @stage AND l.[id] = c.[id] COLLATE Latin1_General_100_BIN2)`,
  parameters: { stage: nvarchar(16), ids: nvarchar('max'), at: DATETIME2 },
};

// --- manifest -------------------------------------------------------------------------------------

const FILE_COLUMNS =
  '[file_id], [dataset], [blob_name], [blob_etag], [state], [total_rows], [valid_rows], [rejected_rows], ' +
  '[loaded_rows], [duplicate_rows], [chunks], [chunks_loaded], [chunks_dead_lettered], [error], [received_at], [extracted_at], ' +
  '[completed_at], [updated_at]';

const TSQL: SqlSpelling = { name: q, text: (value) => `N'${value}'` };
const EXTRACT_COMPLETES = fileCompletePredicate(TSQL, 'extract-finished');
const CHUNKS_COMPLETE = fileCompletePredicate(TSQL, 'chunks-loaded');

export const SELECT_FILE: TsqlStatement = {
  text: `SELECT ${FILE_COLUMNS} FROM [etl_files] WHERE [file_id] = @fileId`,
  parameters: { fileId: FILE_ID },
};

export const BEGIN_FILE: TsqlStatement = {
  text: `INSERT INTO [etl_files] ([file_id], [dataset], [blob_name], [blob_etag], [state], [received_at], [updated_at])
SELECT @fileId, @dataset, @blobName, @blobEtag, N'extracting', @receivedAt, @receivedAt
WHERE NOT EXISTS (SELECT 1 FROM [etl_files] WITH (UPDLOCK, HOLDLOCK) WHERE [file_id] = @fileId)`,
  parameters: { fileId: FILE_ID, dataset: DATASET, blobName: nvarchar(1024), blobEtag: nvarchar(128), receivedAt: DATETIME2 },
};

export const FINISH_EXTRACT: TsqlStatement = {
  text: `UPDATE [etl_files] SET [total_rows] = @total, [valid_rows] = @valid, [rejected_rows] = @rejected, [chunks] = @chunks,
  [extracted_at] = @at, [updated_at] = @at,
  [state] = CASE WHEN ${EXTRACT_COMPLETES} THEN N'complete' ELSE N'loading' END,
  [completed_at] = CASE WHEN ${EXTRACT_COMPLETES} THEN COALESCE([completed_at], @at) ELSE NULL END
WHERE [file_id] = @fileId`,
  parameters: { total: BIGINT, valid: BIGINT, rejected: BIGINT, chunks: INT, at: DATETIME2, fileId: FILE_ID },
};

/**
 * Adds the counts of `@chunks` loaded chunks of one file, and completes the file when they were its
 * last and extract has finished (old values on the right).
 */
export const CHUNK_LOADED: TsqlStatement = {
  text: `UPDATE [etl_files] SET [loaded_rows] = [loaded_rows] + @loaded, [duplicate_rows] = [duplicate_rows] + @duplicates,
  [chunks_loaded] = [chunks_loaded] + @chunks, [updated_at] = @at,
  [state] = CASE WHEN ${CHUNKS_COMPLETE} THEN N'complete' ELSE [state] END,
  [completed_at] = CASE WHEN ${CHUNKS_COMPLETE} THEN @at ELSE [completed_at] END
WHERE [file_id] = @fileId`,
  parameters: { loaded: BIGINT, duplicates: BIGINT, chunks: INT, at: DATETIME2, fileId: FILE_ID },
};

export const FAIL_FILE: TsqlStatement = {
  text: `UPDATE [etl_files] SET [state] = N'failed', [error] = @error, [updated_at] = @at WHERE [file_id] = @fileId`,
  parameters: { error: nvarchar(FILE_ERROR_LENGTH), at: DATETIME2, fileId: FILE_ID },
};

/** Extract's heartbeat on a file it is extracting; with `@staleBefore`, only when the last one is older (the sweep's claim). */
export const TOUCH_EXTRACTING: TsqlStatement = {
  text: `UPDATE [etl_files] SET [updated_at] = @at
WHERE [file_id] = @fileId AND [state] = N'extracting' AND (@staleBefore IS NULL OR [updated_at] < @staleBefore)`,
  parameters: { at: DATETIME2, staleBefore: DATETIME2, fileId: FILE_ID },
};

export const ADD_DEAD_LETTERED: TsqlStatement = {
  text: 'UPDATE [etl_files] SET [chunks_dead_lettered] = [chunks_dead_lettered] + @delta, [updated_at] = @at WHERE [file_id] = @fileId',
  parameters: { delta: INT, at: DATETIME2, fileId: FILE_ID },
};

export const LIST_FILES: TsqlStatement = {
  text: `SELECT TOP (@limit) ${FILE_COLUMNS} FROM [etl_files]
WHERE (@state IS NULL OR [state] = @state) AND (@dataset IS NULL OR [dataset] = @dataset)
AND (@updatedBefore IS NULL OR [updated_at] < @updatedBefore)
ORDER BY [received_at] DESC, [file_id]`,
  parameters: { limit: INT, state: nvarchar(16), dataset: DATASET, updatedBefore: DATETIME2 },
};

// --- outbox ---------------------------------------------------------------------------------------

/**
 * Writes a batch of drafts passed as one JSON array parameter; OUTPUT lists the ids that were new.
 * OPENJSON columns carry the database's default collation and `id` is BIN2: comparing two column
 * collations is a conflict error, so the JSON side is given BIN2 explicitly (here and below).
 */
export const INSERT_OUTBOX: TsqlStatement = {
  text: `INSERT INTO [etl_outbox] ([id], [destination], [partition_key], [body], [created_at])
OUTPUT inserted.[id]
SELECT m.[id], m.[destination], m.[partition_key], m.[body], @at
FROM OPENJSON(@messages) WITH ([id] NVARCHAR(800) '$.id', [destination] NVARCHAR(200) '$.destination', [partition_key] NVARCHAR(400) '$.partitionKey', [body] NVARCHAR(MAX) '$.body') AS m
WHERE NOT EXISTS (SELECT 1 FROM [etl_outbox] AS o WITH (UPDLOCK, HOLDLOCK) WHERE o.[id] = m.[id] COLLATE Latin1_General_100_BIN2)`,
  parameters: { messages: nvarchar('max'), at: DATETIME2 },
};

export const LIST_UNPUBLISHED: TsqlStatement = {
  text: `SELECT TOP (@limit) [id], [destination], [partition_key], [body], [created_at] FROM [etl_outbox]
WHERE [published_at] IS NULL ORDER BY [seq]`,
  parameters: { limit: INT },
};

export const MARK_PUBLISHED: TsqlStatement = {
  text: `UPDATE [etl_outbox] SET [published_at] = @at
WHERE [published_at] IS NULL AND [id] IN (SELECT [value] COLLATE Latin1_General_100_BIN2 FROM OPENJSON(@ids))`,
  parameters: { at: DATETIME2, ids: nvarchar('max') },
};

// --- per dataset ----------------------------------------------------------------------------------

export interface DatasetStatements {
  /** Inserts the TVP's rows whose key is new; OUTPUT returns their key columns. */
  readonly insertFacts: TsqlStatement;
  readonly selectWindowForUpdate: TsqlStatement;
  readonly insertWindow: TsqlStatement;
  readonly updateWindow: TsqlStatement;
  readonly listWindows: TsqlStatement;
  readonly countFacts: TsqlStatement;
  readonly groupByWindow: TsqlStatement;
  readonly measureValues: (measure: string) => TsqlStatement;
  /** Undefined when the dataset declares no report. */
  readonly dailyPercentile: TsqlStatement | undefined;
  /** Window parameter name of each window column (`updated_at` included). */
  readonly windowParameters: Readonly<Record<string, string>>;
}

const cache = new WeakMap<DatasetTables, DatasetStatements>();

export function datasetStatements(tables: DatasetTables): DatasetStatements {
  const cached = cache.get(tables);
  if (cached) return cached;
  const statements: DatasetStatements = {
    ...factStatements(tables),
    ...windowStatements(tables),
    dailyPercentile: dailyPercentileStatement(tables),
  };
  cache.set(tables, statements);
  return statements;
}

/** The statements on the facts table: the de-duplicating insert, and the reads the reports and checks make. */
function factStatements(tables: DatasetTables): Pick<DatasetStatements, 'insertFacts' | 'countFacts' | 'groupByWindow' | 'measureValues'> {
  const facts = q(tables.factsTable);
  const factColumns = tables.factColumns.map((column) => q(column.name));
  const keyMatch = tables.keyColumns.map((column) => `f.${q(column.name)} = r.${q(column.name)}`).join(' AND ');
  const dimensions = tables.dimensionColumns.map((column) => q(column.name));
  return {
    insertFacts: {
      text: `INSERT INTO ${facts} (${factColumns.join(', ')})
OUTPUT ${tables.keyColumns.map((column) => `inserted.${q(column.name)}`).join(', ')}
SELECT ${factColumns.map((column) => `r.${column}`).join(', ')} FROM @rows AS r
WHERE NOT EXISTS (SELECT 1 FROM ${facts} AS f WITH (UPDLOCK, HOLDLOCK) WHERE ${keyMatch})`,
      parameters: { rows: { kind: 'tvp', typeName: factsRowsType(tables) } },
    },
    countFacts: {
      text: `SELECT COUNT_BIG(*) AS [n] FROM ${facts} WHERE @fileId IS NULL OR [file_id] = @fileId`,
      parameters: { fileId: FILE_ID },
    },
    groupByWindow: {
      text: `SELECT ${[
        '[window_start]',
        ...dimensions,
        'COUNT(*) AS [n]',
        ...tables.dataset.measures.flatMap((measure, index) => [
          `SUM(CAST(${q(measure)} AS FLOAT)) AS [sum${index}]`,
          `MIN(${q(measure)}) AS [min${index}]`,
          `MAX(${q(measure)}) AS [max${index}]`,
        ]),
      ].join(', ')}
FROM ${facts} GROUP BY ${['[window_start]', ...dimensions].join(', ')}`,
      parameters: {},
    },
    measureValues: (measure) => ({
      text: `SELECT ${[q(measure), ...dimensions].join(', ')} FROM ${facts}
WHERE ${q(measure)} IS NOT NULL AND (@windowStart IS NULL OR [window_start] = @windowStart)`,
      parameters: { windowStart: DATETIME2 },
    }),
  };
}

/** The statements on the window table, each window column bound to a parameter of its own (`w0`, `w1`, …). */
function windowStatements(
  tables: DatasetTables,
): Pick<DatasetStatements, 'selectWindowForUpdate' | 'insertWindow' | 'updateWindow' | 'listWindows' | 'windowParameters'> {
  const windows = q(tables.windowsTable);
  const windowNames = [...windowColumnNames(tables), 'updated_at'];
  const windowParameters = Object.fromEntries(windowNames.map((name, index) => [name, `w${index}`]));
  const windowTypes: Record<string, TsqlType> = {};
  for (const name of windowNames) windowTypes[windowParameters[name] as string] = windowParameterType(tables, name);
  const parameterOf = (name: string) => `@${windowParameters[name]}`;
  const keyWhere = `[window_start] = ${parameterOf('window_start')} AND [dimension_key] = ${parameterOf('dimension_key')}`;
  return {
    selectWindowForUpdate: {
      text: `SELECT ${windowNames.map(q).join(', ')} FROM ${windows} WITH (UPDLOCK, HOLDLOCK) WHERE ${keyWhere}`,
      parameters: pick(windowTypes, [windowParameters.window_start, windowParameters.dimension_key]),
    },
    insertWindow: {
      text: `INSERT INTO ${windows} (${windowNames.map(q).join(', ')}) VALUES (${windowNames.map(parameterOf).join(', ')})`,
      parameters: windowTypes,
    },
    updateWindow: {
      text: `UPDATE ${windows} SET ${windowNames
        .filter((name) => name !== 'window_start' && name !== 'dimension_key')
        .map((name) => `${q(name)} = ${parameterOf(name)}`)
        .join(', ')} WHERE ${keyWhere}`,
      parameters: windowTypes,
    },
    listWindows: {
      text: `SELECT TOP (@limit) ${windowNames.map(q).join(', ')} FROM ${windows}
WHERE (@from IS NULL OR [window_start] >= @from) AND (@to IS NULL OR [window_start] < @to)
ORDER BY [window_start], [dimension_key]`,
      parameters: { limit: BIGINT, from: DATETIME2, to: DATETIME2 },
    },
    windowParameters,
  };
}

function pick(types: Record<string, TsqlType>, names: readonly (string | undefined)[]): Record<string, TsqlType> {
  return Object.fromEntries(names.filter((name): name is string => name !== undefined).map((name) => [name, types[name] as TsqlType]));
}

function windowParameterType(tables: DatasetTables, name: string): TsqlType {
  if (name === 'updated_at' || name === 'window_start') return DATETIME2;
  const type = windowColumnType(tables, name);
  if (type.startsWith('NVARCHAR(MAX)')) return nvarchar('max');
  const text = /^NVARCHAR\((\d+)\)/.exec(type);
  if (text) return nvarchar(Number(text[1]));
  if (type.startsWith('BIGINT')) return BIGINT;
  return FLOAT;
}

/**
 * Mean and population stddev per day and dimension, then the nearest-rank percentile of the values
 * within `sigma` stddevs: the first row, in value order, whose cumulative share reaches the
 * percentile. That is PERCENTILE_DISC's definition; PERCENTILE_DISC itself is not used because it
 * takes only a literal, and the percentile must stay a parameter. The SQLite adapter runs the same
 * query shape, so the live SQLite contract test checks this logic too.
 */
function dailyPercentileStatement(tables: DatasetTables): TsqlStatement | undefined {
  const report = tables.dataset.report;
  if (!report) return undefined;
  const dimension = q(report.dimension);
  const measure = q(report.measure);
  return {
    text: `WITH base AS (
  SELECT [event_date] AS [day], COALESCE(CAST(${dimension} AS NVARCHAR(4000)), N'') AS [dimension], CAST(${measure} AS FLOAT) AS [v]
  FROM ${q(tables.factsTable)}
  WHERE ${measure} IS NOT NULL AND (@from IS NULL OR [event_date] >= @from) AND (@to IS NULL OR [event_date] <= @to)
), stats AS (
  SELECT [day], [dimension], COUNT(*) AS [events], AVG([v]) AS [mean] FROM base GROUP BY [day], [dimension] HAVING COUNT(*) >= @minEvents
), spread AS (
  SELECT s.[day], s.[dimension], s.[events], s.[mean], SQRT(AVG((b.[v] - s.[mean]) * (b.[v] - s.[mean]))) AS [stddev]
  FROM base AS b JOIN stats AS s ON s.[day] = b.[day] AND s.[dimension] = b.[dimension]
  GROUP BY s.[day], s.[dimension], s.[events], s.[mean]
), kept AS (
  SELECT b.[day], b.[dimension], b.[v],
    ROW_NUMBER() OVER (PARTITION BY b.[day], b.[dimension] ORDER BY b.[v]) AS [position],
    COUNT(*) OVER (PARTITION BY b.[day], b.[dimension]) AS [kept]
  FROM base AS b JOIN spread AS s ON s.[day] = b.[day] AND s.[dimension] = b.[dimension]
  WHERE ABS(b.[v] - s.[mean]) <= @sigma * s.[stddev]
)
SELECT s.[day], s.[dimension], s.[events], s.[mean], s.[stddev], k.[kept], k.[v] AS [percentile]
FROM kept AS k JOIN spread AS s ON s.[day] = k.[day] AND s.[dimension] = k.[dimension]
WHERE CAST(k.[position] AS FLOAT) / k.[kept] >= @percentile AND CAST(k.[position] - 1 AS FLOAT) / k.[kept] < @percentile
ORDER BY s.[day], s.[dimension]`,
    parameters: { from: DATE, to: DATE, minEvents: BIGINT, sigma: FLOAT, percentile: FLOAT },
  };
}
