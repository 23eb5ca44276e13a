/**
 * The shape of a dataset declaration: everything the pipeline needs to know about one kind of CSV
 * file. A dataset is declared once (a typed module or a JSON file) and the pipeline code never
 * names a column itself.
 *
 * Identifiers (dataset name, column names) become SQL identifiers and blob path segments, so they
 * are restricted to `[a-z][a-z0-9_]{0,62}` and validated when a declaration is loaded.
 */

/** How a CSV field is typed. Values are trimmed before typing. */
export type ColumnType =
  | 'string'
  | 'uuid' // canonical 8-4-4-4-12 hex, stored lower-case
  | 'integer' // safe integer
  | 'number' // finite double
  | 'boolean' // true/false/1/0/yes/no, case-insensitive
  | 'timestamp' // ISO-8601 instant with a zone (Z or ±hh:mm); stored as UTC `YYYY-MM-DDTHH:mm:ss.sssZ`
  | 'enum'; // one of `values`, case-sensitive

export interface ColumnDeclaration {
  readonly name: string;
  readonly type: ColumnType;
  /** An empty field is an error when true; otherwise it becomes NULL. Default false. */
  readonly required?: boolean;
  /** Allowed values, for `enum`. */
  readonly values?: readonly string[];
  /** Inclusive bounds, for `integer` and `number`. */
  readonly min?: number;
  readonly max?: number;
  /** Longest allowed text, for `string` (default 256). */
  readonly maxLength?: number;
  /** A regular expression the whole text must match, for `string`. */
  readonly pattern?: string;
}

/** The daily percentile report a dataset offers (docs/datasets.md, "Declaration fields"). */
export interface DailyReportDeclaration {
  /** Numeric column whose percentile is reported. */
  readonly measure: string;
  /** Column the report groups by, besides the day. */
  readonly dimension: string;
  /** Percentile in (0, 1), e.g. 0.95. */
  readonly percentile: number;
  /** Values further than this many (population) standard deviations from the day's mean are left out. */
  readonly sigma: number;
  /** Groups with fewer distinct events that day are left out. */
  readonly minDistinctEvents: number;
}

export interface DatasetDeclaration {
  /** Dataset id: the first path segment under `landing/`, and the SQL table prefix. */
  readonly name: string;
  /** Bumped when columns change; travels with every chunk event. */
  readonly version: number;
  readonly description?: string;
  /** CSV columns, in the order a well-formed file has them (header names must match, any order). */
  readonly columns: readonly ColumnDeclaration[];
  /** Column(s) whose values identify a row: a second row with the same key is a duplicate. */
  readonly key: readonly string[];
  /** Column whose value picks the Event Hubs partition (ordering per entity). */
  readonly partitionKey: string;
  /** `timestamp` column that places a row in time windows. */
  readonly eventTime: string;
  /** Columns aggregates are grouped by (besides the window). */
  readonly dimensions: readonly string[];
  /** Numeric columns aggregated as count/avg/min/max. */
  readonly measures: readonly string[];
  /** Measures that also get a quantile sketch (p50/p95/p99). A subset of `measures`. */
  readonly quantileMeasures: readonly string[];
  /** Window length in minutes for window aggregates. Default 1. */
  readonly windowMinutes: number;
  readonly report?: DailyReportDeclaration;
}

/** A typed field value. Timestamps are UTC ISO strings; empty optional fields are null. */
export type TypedValue = string | number | boolean | null;

/** A validated, typed CSV row, keyed by column name. */
export type TypedRow = Readonly<Record<string, TypedValue>>;

/**
 * A fact: a typed row plus the columns the pipeline derives. The derived names are reserved and
 * may not be used as dataset column names.
 */
export interface Fact {
  readonly values: TypedRow;
  /** The key columns joined with U+001F, as used for de-duplication. */
  readonly key: string;
  /** `YYYY-MM-DD` (UTC) of the event time. */
  readonly eventDate: string;
  /** 0–23 (UTC) of the event time. */
  readonly eventHour: number;
  /** Start of the event's window, UTC ISO string. */
  readonly windowStart: string;
  /** File and 1-based data row number (header excluded) the row came from. */
  readonly fileId: string;
  readonly rowNumber: number;
}

/** Column names the pipeline adds to every facts table. */
export const DERIVED_COLUMNS = ['event_date', 'event_hour', 'window_start', 'file_id', 'row_number'] as const;
