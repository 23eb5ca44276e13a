/**
 * The shape of a dataset declaration: everything the pipeline needs to know about one kind of CSV
 * file. A dataset is declared once (a typed module or a JSON file) and the pipeline code never
 * names a column itself.
 *
 * Identifiers (dataset name, column names) become SQL identifiers and blob path segments, so they
 * are restricted to `[a-z][a-z0-9_]{0,62}` and validated when a declaration is loaded. A column's
 * header in the file is separate text of any kind (`header`); its SQL name is declared or derived
 * from the header (column-names.ts).
 */

/** How a CSV field is typed. Values are trimmed before typing. */
export type ColumnType =
  | 'string'
  | 'uuid' // canonical 8-4-4-4-12 hex, stored lower-case
  | 'integer' // safe integer
  | 'number' // finite double
  | 'boolean' // true/false/1/0/yes/no, case-insensitive
  | 'timestamp' // ISO-8601 instant with a zone, or `formats`; stored as UTC `YYYY-MM-DDTHH:mm:ss.sssZ`
  | 'date' // a calendar date (ISO `yyyy-MM-dd`, or `formats`); stored as `YYYY-MM-DD`
  | 'enum'; // one of `values`, case-sensitive

/** Characters a number may group its thousands with. */
export type ThousandsSeparator = ',' | '.' | ' ' | "'" | '_' | '\u00a0' | '\u202f';

export interface ColumnDeclaration {
  /** SQL name: what tables, reports, dimensions and measures use. Derived from `header` when not declared. */
  readonly name: string;
  /** The column's header in the file, any text; default `name`. Matched by the dataset's `csv.headerMatch`. */
  readonly header?: string;
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
  /**
   * For `date` and `timestamp`: formats tried in order (Luxon tokens: `yyyy-MM-dd HH:mm:ss`,
   * `MM/dd/yyyy`, `MMM d yyyy`). Without them, ISO-8601 is read.
   */
  readonly formats?: readonly string[];
  /** For `timestamp`: the IANA time zone of values written without an offset (e.g. `Europe/Berlin`). */
  readonly timeZone?: string;
  /** For `integer` and `number`: the decimal separator (default `.`) and a thousands separator (default none). */
  readonly decimalSeparator?: '.' | ',';
  readonly thousandsSeparator?: ThousandsSeparator;
  /** For `boolean`: the words read as true and false, compared case-insensitively (default true/1/yes, false/0/no). */
  readonly trueValues?: readonly string[];
  readonly falseValues?: readonly string[];
}

/** Text encodings a file may be in. A byte order mark, when the file has one, wins over the declaration. */
export type CsvEncoding = 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1252';

/** How a dataset's files are written (every field has a default: RFC 4180 CSV in UTF-8). */
export interface CsvDialect {
  /** One character between fields (default `,`; `;` and tab are common). */
  readonly delimiter: string;
  /** One character that quotes a field (default `"`). */
  readonly quote: string;
  /** One character that escapes a quote inside a quoted field (default: the quote itself, doubled). */
  readonly escape: string;
  readonly encoding: CsvEncoding;
  /** Lines before the header to skip (a title, an export note). Default 0. */
  readonly skipRows: number;
  /** Lines starting with this character are skipped and not counted. Default: none. */
  readonly comment?: string;
  /** How headers match columns: `exact` (default; trimmed, case-sensitive) or `ignore-case-and-spaces`. */
  readonly headerMatch: 'exact' | 'ignore-case-and-spaces';
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
  /** How the files are written; `DEFAULT_CSV_DIALECT` when absent (the schema always fills it). */
  readonly csv?: CsvDialect;
  /** CSV columns, in the order a well-formed file has them (headers must match, any order). */
  readonly columns: readonly ColumnDeclaration[];
  /**
   * Column(s) whose values identify a row: a second row with the same key is a duplicate. Empty:
   * the dataset has no natural key, and a row is identified by a hash of all its typed values.
   */
  readonly key: readonly string[];
  /** Column whose value picks the Event Hubs partition (ordering per entity); none: rows are spread by their text. */
  readonly partitionKey?: string;
  /**
   * `timestamp` or `date` column that places a row in time windows (a date at 00:00 UTC). None:
   * the dataset loads facts only (no window aggregates, dimensions, measures or report).
   */
  readonly eventTime?: string;
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

/** RFC 4180 CSV in UTF-8 with exactly matching headers. */
export const DEFAULT_CSV_DIALECT: CsvDialect = Object.freeze({
  delimiter: ',',
  quote: '"',
  escape: '"',
  encoding: 'utf-8',
  skipRows: 0,
  headerMatch: 'exact',
});

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
  /** The key columns as one tuple text (value-tuple.ts), or the row hash when the dataset declares no key. */
  readonly key: string;
  /** `YYYY-MM-DD` (UTC) of the event time; null when the dataset has no event time. */
  readonly eventDate: string | null;
  /** 0–23 (UTC) of the event time; null when the dataset has no event time. */
  readonly eventHour: number | null;
  /** Start of the event's window, UTC ISO string; null when the dataset has no event time. */
  readonly windowStart: string | null;
  /** File and 1-based data row number (header excluded) the row came from. */
  readonly fileId: string;
  readonly rowNumber: number;
}

/**
 * Column names the pipeline adds to facts tables (`row_hash` is the key of a dataset that declares
 * none; `event_date`, `event_hour` and `window_start` are left out when it has no event time).
 */
export const DERIVED_COLUMNS = ['event_date', 'event_hour', 'window_start', 'file_id', 'row_number', 'row_hash'] as const;
