/**
 * The boundary check for dataset declarations: a JSON file (or any unknown value) becomes a
 * `DatasetDeclaration` here or not at all. Every error names the offending field by its path
 * (`columns[3].type: …`) so a user can fix a declaration without reading pipeline code.
 */
import { z } from 'zod';
import { EtlError } from '../errors/etl-error.js';
import { IANAZone } from 'luxon';
import { DERIVED_COLUMNS, type DatasetDeclaration } from './dataset-declaration.js';
import { headerKey, uniqueSqlNames } from './column-names.js';
import { dimensionKeyLength, MAX_DIMENSION_KEY_LENGTH, valueTextLength } from './value-text-length.js';

/** Identifiers become SQL identifiers and blob path segments (see dataset-declaration.ts). */
const IDENTIFIER = /^[a-z][a-z0-9_]{0,62}$/;
const identifier = z.string().regex(IDENTIFIER, 'must match [a-z][a-z0-9_]{0,62}');

/** Longest dataset name: the SQL columns and parameters that hold one are this long. */
export const DATASET_NAME_LENGTH = 63;

/** Whether `name` can name a dataset (`[a-z][a-z0-9_]{0,62}`): a landing folder that cannot is refused before any SQL. */
export function isDatasetName(name: string): boolean {
  return IDENTIFIER.test(name);
}

/** One character, not a line break: what a delimiter, quote, escape or comment marker can be. */
const oneCharacter = z
  .string()
  .length(1)
  .refine((text) => text !== '\n' && text !== '\r', 'may not be a line break');

const csvSchema = z
  .strictObject({
    delimiter: oneCharacter.default(','),
    quote: oneCharacter.default('"'),
    escape: oneCharacter.optional(),
    encoding: z.enum(['utf-8', 'utf-16le', 'utf-16be', 'windows-1252']).default('utf-8'),
    skipRows: z.number().int().nonnegative().default(0),
    comment: oneCharacter.optional(),
    headerMatch: z.enum(['exact', 'ignore-case-and-spaces']).default('exact'),
  })
  .transform((csv) => ({ ...csv, escape: csv.escape ?? csv.quote }))
  .refine(
    (csv) => csv.delimiter !== csv.quote && csv.delimiter !== csv.comment && csv.quote !== csv.comment,
    'delimiter, quote and comment must differ',
  );

const columnSchema = z.strictObject({
  name: identifier,
  header: z.string().min(1).max(1000).optional(),
  type: z.enum(['string', 'uuid', 'integer', 'number', 'boolean', 'timestamp', 'date', 'enum']),
  required: z.boolean().optional(),
  values: z.array(z.string().min(1)).min(1).optional(),
  min: z.number().optional(),
  max: z.number().optional(),
  maxLength: z.number().int().positive().optional(),
  pattern: z.string().optional(),
  formats: z.array(z.string().min(1)).min(1).optional(),
  timeZone: z
    .string()
    .refine((zone) => IANAZone.isValidZone(zone), 'not an IANA time zone (e.g. Europe/Berlin, UTC)')
    .optional(),
  decimalSeparator: z.enum(['.', ',']).optional(),
  thousandsSeparator: z.enum([',', '.', ' ', "'", '_', '\u00a0', '\u202f']).optional(),
  trueValues: z.array(z.string().trim().min(1)).min(1).optional(),
  falseValues: z.array(z.string().trim().min(1)).min(1).optional(),
});

/**
 * A column may give only its `header`: its SQL name is then derived (column-names.ts) before the
 * declaration is checked, so every later rule sees names.
 */
function withDerivedNames(input: unknown): unknown {
  if (input === null || typeof input !== 'object' || !Array.isArray((input as { columns?: unknown }).columns)) return input;
  const columns = (input as { columns: unknown[] }).columns;
  const plain = columns.map((column) =>
    column !== null && typeof column === 'object'
      ? {
          name: typeof (column as { name?: unknown }).name === 'string' ? (column as { name: string }).name : undefined,
          header: (column as { header?: unknown }).header,
        }
      : {},
  );
  if (plain.every((column) => column.name !== undefined || typeof column.header !== 'string')) return input;
  const names = uniqueSqlNames(
    plain.map((column) => ({ name: column.name, header: typeof column.header === 'string' ? column.header : undefined })),
  );
  return {
    ...input,
    columns: columns.map((column, index) =>
      column !== null &&
      typeof column === 'object' &&
      (column as { name?: unknown }).name === undefined &&
      typeof (column as { header?: unknown }).header === 'string'
        ? { name: names[index], ...column }
        : column,
    ),
  };
}

const reportSchema = z.strictObject({
  measure: identifier,
  dimension: identifier,
  percentile: z.number().gt(0).lt(1),
  sigma: z.number().positive(),
  minDistinctEvents: z.number().int().nonnegative(),
});

const MINUTES_PER_DAY = 1440;

/**
 * Azure SQL limits a clustered index key to 900 bytes, and the facts table type that carries a
 * chunk is keyed by the dataset key (https://learn.microsoft.com/sql/sql-server/maximum-capacity-specifications-for-sql-server).
 */
const MAX_KEY_BYTES = 900;

/**
 * Azure SQL limits a nonclustered index key to 1,700 bytes; the daily report's index is keyed by
 * the event date (3 bytes) and the report's dimension (same page as MAX_KEY_BYTES).
 */
const MAX_REPORT_INDEX_BYTES = 1700;
const EVENT_DATE_BYTES = 3;

/**
 * Longest row, in characters of its typed values. A chunk event carries at least one row and an
 * Event Hubs event holds at most 1 MB; even at 3 UTF-8 bytes a character plus JSON escaping,
 * 100,000 characters stay well inside it.
 */
const MAX_ROW_CHARACTERS = 100_000;

type DeclaredColumn = z.infer<typeof columnSchema>;

/** Bytes of the column in a SQL index key: NVARCHAR takes two bytes a character. */
function keyBytes(column: DeclaredColumn): number {
  switch (column.type) {
    case 'integer':
    case 'number':
      return 8;
    case 'boolean':
      return 1;
    case 'timestamp':
      return 8;
    case 'date':
      return 3;
    default:
      return 2 * valueTextLength(column);
  }
}

const datasetObjectSchema = z.strictObject({
  name: identifier,
  version: z.number().int().positive().default(1),
  description: z.string().optional(),
  csv: csvSchema.default({ delimiter: ',', quote: '"', escape: '"', encoding: 'utf-8', skipRows: 0, headerMatch: 'exact' }),
  columns: z.array(columnSchema).min(1),
  key: z.array(identifier).default([]),
  partitionKey: identifier.optional(),
  eventTime: identifier.optional(),
  dimensions: z.array(identifier).default([]),
  measures: z.array(identifier).default([]),
  quantileMeasures: z.array(identifier).default([]),
  // Windows must tile a UTC day so that daily and window aggregates line up.
  windowMinutes: z
    .number()
    .int()
    .positive()
    .refine((minutes) => MINUTES_PER_DAY % minutes === 0, 'must divide 1440 (windows tile a day)')
    .default(1),
  report: reportSchema.optional(),
});

type DeclaredDataset = z.infer<typeof datasetObjectSchema>;

const RESERVED_NAMES: ReadonlySet<string> = new Set(DERIVED_COLUMNS);

/** Reports one issue at `path`. */
type Issue = (path: (string | number)[], message: string) => void;

/** The checks across fields, in the order their issues are reported. */
const datasetSchema = datasetObjectSchema.superRefine((dataset, ctx) => {
  const issue: Issue = (path, message) => ctx.addIssue({ code: 'custom', path, message });
  const names = new Set<string>();
  dataset.columns.forEach((column, index) => {
    const at = (field: string) => ['columns', index, field];
    checkColumnName(column, names, at, issue);
    checkColumnFields(column, at, issue);
  });
  checkHeadersAndRowSize(dataset, issue);
  const columns = columnLookup(dataset, issue);
  checkKeyAndEventTime(dataset, columns, issue);
  checkAggregates(dataset, columns, issue);
});

/** A column's name is not taken by an earlier column, nor by a derived column. */
function checkColumnName(column: DeclaredColumn, earlier: Set<string>, at: (field: string) => (string | number)[], issue: Issue): void {
  if (earlier.has(column.name)) issue(at('name'), `duplicate column '${column.name}'`);
  if (RESERVED_NAMES.has(column.name)) issue(at('name'), `'${column.name}' is reserved for a derived column`);
  earlier.add(column.name);
}

/** Each field a column declares applies to its type, and its values agree with each other. */
function checkColumnFields(column: DeclaredColumn, at: (field: string) => (string | number)[], issue: Issue): void {
  if (column.type === 'enum' && column.values === undefined) issue(at('values'), 'an enum column needs values');
  if (column.type !== 'enum' && column.values !== undefined) issue(at('values'), 'only enum columns take values');
  const numeric = column.type === 'integer' || column.type === 'number';
  if (!numeric && column.min !== undefined) issue(at('min'), 'only integer and number columns take min');
  if (!numeric && column.max !== undefined) issue(at('max'), 'only integer and number columns take max');
  if (column.min !== undefined && column.max !== undefined && column.min > column.max) {
    issue(at('max'), `must be ≥ min (${column.min})`);
  }
  if (column.type !== 'string' && column.maxLength !== undefined) issue(at('maxLength'), 'only string columns take maxLength');
  if (column.type !== 'string' && column.pattern !== undefined) issue(at('pattern'), 'only string columns take pattern');
  if (column.pattern !== undefined) {
    try {
      new RegExp(column.pattern, 'u');
    } catch (error) {
      issue(at('pattern'), `not a valid regular expression: ${(error as Error).message}`);
    }
  }
  const temporal = column.type === 'date' || column.type === 'timestamp';
  if (!temporal && column.formats !== undefined) issue(at('formats'), 'only date and timestamp columns take formats');
  if (column.type !== 'timestamp' && column.timeZone !== undefined) issue(at('timeZone'), 'only timestamp columns take timeZone');
  if (!numeric && column.decimalSeparator !== undefined)
    issue(at('decimalSeparator'), 'only integer and number columns take decimalSeparator');
  if (!numeric && column.thousandsSeparator !== undefined)
    issue(at('thousandsSeparator'), 'only integer and number columns take thousandsSeparator');
  if ((column.decimalSeparator ?? '.') === column.thousandsSeparator)
    issue(at('thousandsSeparator'), 'must differ from the decimal separator');
  for (const field of ['trueValues', 'falseValues'] as const) {
    if (column.type !== 'boolean' && column[field] !== undefined) issue(at(field), `only boolean columns take ${field}`);
  }
  if (column.type === 'boolean' && (column.trueValues === undefined) !== (column.falseValues === undefined)) {
    issue(at(column.trueValues === undefined ? 'trueValues' : 'falseValues'), 'declare trueValues and falseValues together');
  }
  const falseWords = new Set((column.falseValues ?? []).map((word) => word.toLowerCase()));
  const both = (column.trueValues ?? []).filter((word) => falseWords.has(word.toLowerCase()));
  if (both.length > 0) issue(at('falseValues'), `'${both[0]}' is both true and false`);
}

/** Each header names one column under the dataset's matching rule, and a row fits an event. */
function checkHeadersAndRowSize(dataset: DeclaredDataset, issue: Issue): void {
  const headers = new Map<string, string>();
  dataset.columns.forEach((column, index) => {
    const key = headerKey(column.header ?? column.name, dataset.csv.headerMatch);
    const other = headers.get(key);
    if (other !== undefined)
      issue(['columns', index, 'header'], `matches the same file header as column '${other}' (${dataset.csv.headerMatch})`);
    else headers.set(key, column.name);
  });

  const rowCharacters = dataset.columns.reduce((sum, column) => sum + valueTextLength(column), 0);
  if (rowCharacters > MAX_ROW_CHARACTERS) {
    issue(
      ['columns'],
      `a row may hold up to ${rowCharacters} characters, more than ${MAX_ROW_CHARACTERS} (one row must fit an Event Hubs event): lower maxLength`,
    );
  }
}

/** The columns that other fields name, looked up with an issue when one is not declared. */
interface ColumnLookup {
  readonly byName: ReadonlyMap<string, DeclaredColumn>;
  /** The column `name`, or an issue at `path`; `{ required: true }` also asks for `required: true`. */
  named(path: (string | number)[], name: string, rule: { readonly required: boolean }): DeclaredColumn | undefined;
}

function columnLookup(dataset: DeclaredDataset, issue: Issue): ColumnLookup {
  // Of two columns with one name (an issue already), the last is the one fields refer to.
  const byName = new Map(dataset.columns.map((column) => [column.name, column]));
  return {
    byName,
    named: (path, name, rule) => {
      const column = byName.get(name);
      if (column === undefined) {
        issue(path, `'${name}' is not a declared column`);
        return undefined;
      }
      if (rule.required && column.required !== true) issue(path, `column '${name}' must be required: true`);
      return column;
    },
  };
}

/**
 * The key, partition key and event time decide where a row goes and whether it is new: they can
 * never be NULL, so they must be declared required. Without an event time there are no windows.
 */
function checkKeyAndEventTime(dataset: DeclaredDataset, columns: ColumnLookup, issue: Issue): void {
  // No key: a row is identified by a hash of its values (`row_hash`), 64 hex characters.
  const keyColumns = dataset.key.map((name, index) => columns.named(['key', index], name, { required: true }));
  if (new Set(dataset.key).size !== dataset.key.length) issue(['key'], 'lists a column twice');
  const bytes = keyColumns.reduce((sum, column) => sum + (column === undefined ? 0 : keyBytes(column)), 0);
  if (bytes > MAX_KEY_BYTES) {
    issue(
      ['key'],
      `key columns take up to ${bytes} bytes in a SQL index key, more than ${MAX_KEY_BYTES} (text counts 2 bytes a character): lower their maxLength`,
    );
  }
  if (dataset.partitionKey !== undefined) columns.named(['partitionKey'], dataset.partitionKey, { required: true });
  if (dataset.eventTime === undefined) {
    // No event time, no windows: what only windows and the daily report use cannot be declared.
    for (const field of ['dimensions', 'measures', 'quantileMeasures'] as const) {
      if (dataset[field].length > 0) issue([field], 'needs eventTime: aggregates are kept per time window');
    }
    if (dataset.report !== undefined) issue(['report'], 'needs eventTime: the report is kept per day');
  } else {
    const eventTime = columns.named(['eventTime'], dataset.eventTime, { required: true });
    if (eventTime !== undefined && eventTime.type !== 'timestamp' && eventTime.type !== 'date') {
      issue(['eventTime'], `column '${dataset.eventTime}' must have type timestamp or date, not ${eventTime.type}`);
    }
  }
}

/** Dimensions, measures, quantile measures and the report name columns that fit the window table and its indexes. */
function checkAggregates(dataset: DeclaredDataset, columns: ColumnLookup, issue: Issue): void {
  const dimensionColumns = dataset.dimensions.map((name, index) => columns.named(['dimensions', index], name, { required: false }));
  // Dimensions are columns of the window table too, beside its own and the measures' columns.
  const windowColumns = new Set([
    'window_start',
    'dimension_key',
    'count',
    'updated_at',
    ...dataset.measures.flatMap((m) => ['count', 'sum', 'sum_of_squares', 'min', 'max'].map((part) => `${m}_${part}`)),
  ]);
  dataset.dimensions.forEach((name, index) => {
    if (windowColumns.has(name)) issue(['dimensions', index], `'${name}' is also a column of the window table: rename the column`);
  });
  const keyLength = dimensionKeyLength(dimensionColumns.map((column) => (column === undefined ? 0 : valueTextLength(column))));
  if (keyLength > MAX_DIMENSION_KEY_LENGTH) {
    issue(
      ['dimensions'],
      `dimension values encoded together take up to ${keyLength} characters, more than ${MAX_DIMENSION_KEY_LENGTH}: lower the dimension columns' maxLength`,
    );
  }
  dataset.measures.forEach((name, index) => {
    const column = columns.named(['measures', index], name, { required: false });
    if (column !== undefined && column.type !== 'integer' && column.type !== 'number') {
      issue(['measures', index], `column '${name}' must be integer or number, not ${column.type}`);
    }
  });
  dataset.quantileMeasures.forEach((name, index) => {
    if (!dataset.measures.includes(name)) issue(['quantileMeasures', index], `'${name}' is not one of measures`);
    // The sketch indexes positive values logarithmically and counts the rest as zero.
    const column = columns.byName.get(name);
    if (column !== undefined && !(column.min !== undefined && column.min >= 0)) {
      issue(['quantileMeasures', index], `column '${name}' needs min ≥ 0: quantile sketches cover non-negative values`);
    }
  });
  if (dataset.report !== undefined) {
    if (!dataset.measures.includes(dataset.report.measure)) {
      issue(['report', 'measure'], `'${dataset.report.measure}' is not one of measures`);
    }
    const dimension = columns.named(['report', 'dimension'], dataset.report.dimension, { required: false });
    const indexBytes = dimension === undefined ? 0 : EVENT_DATE_BYTES + keyBytes(dimension);
    if (indexBytes > MAX_REPORT_INDEX_BYTES) {
      issue(
        ['report', 'dimension'],
        `column '${dataset.report.dimension}' takes up to ${indexBytes - EVENT_DATE_BYTES} bytes in the report's SQL index, more than ${MAX_REPORT_INDEX_BYTES - EVENT_DATE_BYTES}: lower its maxLength`,
      );
    }
  }
}

/** `columns[3].type` style path, as a user would write it in JSON. */
function formatPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else text += text === '' ? String(segment) : `.${String(segment)}`;
  }
  return text === '' ? '(root)' : text;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/**
 * Checks a declaration and fills defaults (version 1, windowMinutes 1, empty dimension and measure
 * lists). The result is deeply frozen: declarations are shared by every row of every file.
 *
 * @param source where the declaration came from (a file name), used as the message prefix.
 * @throws EtlError('INVALID_DATASET') listing each problem as `<field path>: <what is wrong>`.
 */
export function parseDatasetDeclaration(input: unknown, source?: string): DatasetDeclaration {
  const result = datasetSchema.safeParse(withDerivedNames(input));
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`);
    const prefix = source === undefined ? 'invalid dataset declaration' : `invalid dataset declaration in ${source}`;
    throw new EtlError('INVALID_DATASET', `${prefix}: ${problems.join('; ')}`);
  }
  return deepFreeze(result.data) as DatasetDeclaration;
}
