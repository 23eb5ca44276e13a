/**
 * Every DML statement of the SQLite adapter's core tables, as text, the counterpart of the Azure SQL
 * catalogue (`../mssql/mssql-statements.ts`). The ports prepare them; values are always bound.
 * Per-dataset statements are generated in `sqliteDatasetStatements`; the report's too.
 */
import { windowColumnNames, type DatasetTables } from '../dataset-tables.js';
import { quoteSqlite as q } from '../sql-identifier.js';
import { fileCompletePredicate, type SqlSpelling } from '../file-complete.js';

// --- ledger ---------------------------------------------------------------------------------------

/** Claims (@stage, @id); `changes` 0 means it was already applied. */
export const SQLITE_CLAIM_LEDGER = `INSERT INTO etl_ledger (stage, id, applied_at) VALUES (@stage, @id, @at) ON CONFLICT (stage, id) DO NOTHING`;

// --- manifest -------------------------------------------------------------------------------------

const SQLITE: SqlSpelling = { name: q, text: (value) => `'${value}'` };
const EXTRACT_COMPLETES = fileCompletePredicate(SQLITE, 'extract-finished');
const CHUNKS_COMPLETE = fileCompletePredicate(SQLITE, 'chunks-loaded');

export const SQLITE_BEGIN_FILE = `INSERT INTO etl_files (file_id, dataset, blob_name, blob_etag, state, received_at, updated_at)
VALUES (@fileId, @dataset, @blobName, @blobEtag, 'extracting', @receivedAt, @receivedAt) ON CONFLICT (file_id) DO NOTHING`;

export const SQLITE_SELECT_FILE = 'SELECT * FROM etl_files WHERE file_id = @fileId';

export const SQLITE_FINISH_EXTRACT = `UPDATE etl_files SET total_rows = @total, valid_rows = @valid, rejected_rows = @rejected, chunks = @chunks,
  extracted_at = @at, updated_at = @at,
  state = CASE WHEN ${EXTRACT_COMPLETES} THEN 'complete' ELSE 'loading' END,
  completed_at = CASE WHEN ${EXTRACT_COMPLETES} THEN COALESCE(completed_at, @at) ELSE NULL END
WHERE file_id = @fileId`;

/** Adds `@chunks` loaded chunks; completes the file when they were its last and extract has finished (old values on the right). */
export const SQLITE_CHUNK_LOADED = `UPDATE etl_files SET loaded_rows = loaded_rows + @loaded, duplicate_rows = duplicate_rows + @duplicates,
  chunks_loaded = chunks_loaded + @chunks, updated_at = @at,
  state = CASE WHEN ${CHUNKS_COMPLETE} THEN 'complete' ELSE state END,
  completed_at = CASE WHEN ${CHUNKS_COMPLETE} THEN @at ELSE completed_at END
WHERE file_id = @fileId`;

export const SQLITE_FAIL_FILE = `UPDATE etl_files SET state = 'failed', error = @error, updated_at = @at WHERE file_id = @fileId`;

/** Extract's heartbeat on a file it is extracting; with `@staleBefore`, only when the last one is older (the sweep's claim). */
export const SQLITE_TOUCH_EXTRACTING = `UPDATE etl_files SET updated_at = @at
WHERE file_id = @fileId AND state = 'extracting' AND (@staleBefore IS NULL OR updated_at < @staleBefore)`;

export const SQLITE_ADD_DEAD_LETTERED =
  'UPDATE etl_files SET chunks_dead_lettered = chunks_dead_lettered + @delta, updated_at = @at WHERE file_id = @fileId';

export const SQLITE_LIST_FILES = `SELECT * FROM etl_files WHERE (@state IS NULL OR state = @state) AND (@dataset IS NULL OR dataset = @dataset)
AND (@updatedBefore IS NULL OR updated_at < @updatedBefore)
ORDER BY received_at DESC, file_id LIMIT @limit`;

// --- outbox ---------------------------------------------------------------------------------------

export const SQLITE_INSERT_OUTBOX = `INSERT INTO etl_outbox (id, destination, partition_key, body, created_at)
VALUES (@id, @destination, @partitionKey, @body, @at) ON CONFLICT (id) DO NOTHING`;

export const SQLITE_LIST_UNPUBLISHED =
  'SELECT id, destination, partition_key, body, created_at FROM etl_outbox WHERE published_at IS NULL ORDER BY seq LIMIT @limit';

/** The ids travel as one JSON array parameter, however many there are. */
export const SQLITE_MARK_PUBLISHED =
  'UPDATE etl_outbox SET published_at = @at WHERE published_at IS NULL AND id IN (SELECT value FROM json_each(@ids))';

// --- migrations -----------------------------------------------------------------------------------

export const SQLITE_SELECT_SCHEMA_VERSIONS = 'SELECT version FROM etl_schema_version ORDER BY version';

export const SQLITE_INSERT_SCHEMA_VERSION =
  'INSERT INTO etl_schema_version (version, description, applied_at) VALUES (@version, @description, @at)';

export const SQLITE_REGISTER_DATASET = `INSERT INTO etl_datasets (dataset, version, migrated_at) VALUES (@dataset, @version, @at)
ON CONFLICT (dataset) DO UPDATE SET version = excluded.version, migrated_at = excluded.migrated_at`;

// --- per dataset ----------------------------------------------------------------------------------

export interface SqliteDatasetStatements {
  /**
   * Inserts one fact, skipping a key already there; its values are bound by position, in the order
   * of `tables.factColumns` (the innermost loop of a load: no names to look up per row).
   */
  readonly insertFact: string;
  /** The window table's columns, in the order `upsertWindow` binds them. */
  readonly windowColumns: readonly string[];
  readonly selectWindow: string;
  /** Inserts a window row or replaces its values (bound by position, in `windowColumns` order). */
  readonly upsertWindow: string;
  readonly listWindows: string;
  readonly countFacts: string;
  /** `window_start`, each dimension, the count, then per measure its sum, min and max (`fact-queries.ts` reads them in this order). */
  readonly groupByWindow: string;
  /** The measure, then each dimension (read in this order too). */
  readonly measureValues: (measure: string) => string;
  /** Undefined when the dataset declares no report. */
  readonly dailyPercentile: string | undefined;
}

const cache = new WeakMap<DatasetTables, SqliteDatasetStatements>();

export function sqliteDatasetStatements(tables: DatasetTables): SqliteDatasetStatements {
  const cached = cache.get(tables);
  if (cached) return cached;
  const columns = tables.factColumns.map((column) => q(column.name)).join(', ');
  const keys = tables.keyColumns.map((column) => q(column.name)).join(', ');
  const windows = q(tables.windowsTable);
  const windowColumns = [...windowColumnNames(tables), 'updated_at'];
  const updates = windowColumns
    .filter((column) => column !== 'window_start' && column !== 'dimension_key')
    .map((column) => `${q(column)} = excluded.${q(column)}`);
  const facts = q(tables.factsTable);
  const dimensions = tables.dimensionColumns.map((column) => q(column.name));
  const statements: SqliteDatasetStatements = {
    insertFact: `INSERT INTO ${q(tables.factsTable)} (${columns}) VALUES (${tables.factColumns.map(() => '?').join(', ')})
ON CONFLICT (${keys}) DO NOTHING`,
    windowColumns,
    selectWindow: `SELECT * FROM ${windows} WHERE window_start = ? AND dimension_key = ?`,
    upsertWindow: `INSERT INTO ${windows} (${windowColumns.map(q).join(', ')}) VALUES (${windowColumns.map(() => '?').join(', ')})
ON CONFLICT (window_start, dimension_key) DO UPDATE SET ${updates.join(', ')}`,
    listWindows: `SELECT * FROM ${windows} WHERE (@from IS NULL OR window_start >= @from) AND (@to IS NULL OR window_start < @to)
ORDER BY window_start, dimension_key LIMIT @limit`,
    countFacts: `SELECT COUNT(*) AS n FROM ${facts} WHERE @fileId IS NULL OR file_id = @fileId`,
    groupByWindow: `SELECT ${['window_start', ...dimensions, 'COUNT(*)', ...tables.dataset.measures.flatMap((measure) => [`SUM(${q(measure)})`, `MIN(${q(measure)})`, `MAX(${q(measure)})`])].join(', ')}
FROM ${facts} GROUP BY ${['window_start', ...dimensions].join(', ')}`,
    measureValues: (measure) => `SELECT ${[q(measure), ...dimensions].join(', ')} FROM ${facts}
WHERE ${q(measure)} IS NOT NULL AND (@windowStart IS NULL OR window_start = @windowStart)`,
    dailyPercentile: dailyPercentileStatement(tables),
  };
  cache.set(tables, statements);
  return statements;
}

/**
 * Mean and population stddev per day and dimension, then the nearest-rank percentile of the values
 * within `sigma` stddevs, picked as the first row whose cumulative share reaches the percentile
 * (what T-SQL's PERCENTILE_DISC returns): the same query shape as the Azure SQL one.
 */
function dailyPercentileStatement(tables: DatasetTables): string | undefined {
  const report = tables.dataset.report;
  if (!report) return undefined;
  return `WITH base AS (
  SELECT event_date AS day, COALESCE(CAST(${q(report.dimension)} AS TEXT), '') AS dimension, CAST(${q(report.measure)} AS REAL) AS v
  FROM ${q(tables.factsTable)}
  WHERE ${q(report.measure)} IS NOT NULL AND (@from IS NULL OR event_date >= @from) AND (@to IS NULL OR event_date <= @to)
), stats AS (
  SELECT day, dimension, COUNT(*) AS events, AVG(v) AS mean FROM base GROUP BY day, dimension HAVING COUNT(*) >= @minEvents
), spread AS (
  SELECT s.day, s.dimension, s.events, s.mean, sqrt(AVG((b.v - s.mean) * (b.v - s.mean))) AS stddev
  FROM base b JOIN stats s ON s.day = b.day AND s.dimension = b.dimension
  GROUP BY s.day, s.dimension, s.events, s.mean
), kept AS (
  SELECT b.day, b.dimension, b.v,
    ROW_NUMBER() OVER (PARTITION BY b.day, b.dimension ORDER BY b.v) AS position,
    COUNT(*) OVER (PARTITION BY b.day, b.dimension) AS kept
  FROM base b JOIN spread s ON s.day = b.day AND s.dimension = b.dimension
  WHERE ABS(b.v - s.mean) <= @sigma * s.stddev
)
SELECT s.day, s.dimension, s.events, s.mean, s.stddev, k.kept, k.v AS percentile
FROM kept k JOIN spread s ON s.day = k.day AND s.dimension = k.dimension
WHERE CAST(k.position AS REAL) / k.kept >= @percentile AND CAST(k.position - 1 AS REAL) / k.kept < @percentile
ORDER BY s.day, s.dimension`;
}
