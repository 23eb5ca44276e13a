/**
 * A draft dataset declaration from a sample of a file: column names and types, a candidate key (or
 * none), the event time (or none), measures, dimensions and a report. Pure: the sample comes in as
 * a header and rows of fields (read by the pipeline's own reader), the draft goes out as plain JSON
 * plus the reason for every choice. docs/datasets.md ("From any CSV to a report") shows it used.
 */
import type { ColumnDeclaration, CsvDialect } from '../../shared/datasets/dataset-declaration.js';
import { uniqueSqlNames } from '../../shared/datasets/column-names.js';
import { DEFAULT_STRING_MAX_LENGTH } from '../../shared/datasets/value-text-length.js';
import { compileColumnChecker } from '../../shared/validation/column-checker.js';
import { inferColumnType, profileColumn, type ColumnProfile } from './infer-column-type.js';

export interface DraftOptions {
  /** The dataset name (`[a-z][a-z0-9_]{0,62}`). */
  readonly name: string;
  /** How the file is written (sniffed). */
  readonly csv: Omit<CsvDialect, 'headerMatch'>;
  /** IANA zone for timestamps written without an offset. */
  readonly timeZone: string;
  /** Whether the sample holds every row of the file (then uniqueness seen is uniqueness). */
  readonly wholeFile: boolean;
  /** Where the sample came from, for the declaration's description. */
  readonly source: string;
}

/** One decision, as the CLI prints it. */
export interface Decision {
  readonly what: string;
  readonly decided: string;
  readonly why: string;
}

export interface Draft {
  /** The declaration as it is written to the file: plain JSON, defaults left out. */
  readonly declaration: Record<string, unknown>;
  readonly columns: readonly { readonly header: string; readonly name: string; readonly type: string; readonly why: string }[];
  readonly decisions: readonly Decision[];
}

/** Header words that mark an identifier (a key candidate on its own, never a measure). */
const IDENTIFIER_WORDS = new Set(['id', 'uuid', 'guid', 'key', 'code', 'iata', 'icao', 'sku', 'isbn', 'no', 'nr', 'number']);
/** Most dimensions a draft proposes: window rows multiply with each one. */
const MAX_DIMENSIONS = 2;
/** Most distinct values of a dimension in the sample. */
const MAX_DIMENSION_VALUES = 50;
/** Most measures a draft proposes (each adds five window columns). */
const MAX_MEASURES = 12;
/** Window lengths a draft chooses from (each divides a day). */
const WINDOW_MINUTES = [1, 5, 15, 60, 1440] as const;
/** Longest text a row may hold in all (dataset-schema.ts checks the same budget). */
const MAX_ROW_CHARACTERS = 100_000;

const isIdentifierName = (name: string): boolean => name.split('_').some((word) => IDENTIFIER_WORDS.has(word)) || /[a-z]Id$/.test(name);

/** A size a person would pick, at least twice the longest value seen: 16, 32, 64, … */
function roomyLength(longest: number): number {
  let size = 16;
  while (size < longest * 2) size *= 2;
  return size;
}

interface Working {
  readonly header: string;
  readonly name: string;
  readonly profile: ColumnProfile;
  readonly declaration: Omit<ColumnDeclaration, 'name' | 'header' | 'required'>;
  readonly why: string;
  /** The column's values by row (trimmed; '' when empty), for key checks. */
  readonly cells: readonly string[];
}

const isTemporal = (column: Working) => column.declaration.type === 'date' || column.declaration.type === 'timestamp';
const isNumeric = (column: Working) => column.declaration.type === 'integer' || column.declaration.type === 'number';
const complete = (column: Working) => column.profile.empty === 0 && column.profile.values.length > 0;

/**
 * Whether `columns` tell rows apart. A row repeated whole does not count against it: the key then
 * finds the repeat a duplicate, as a person would.
 */
function unique(columns: readonly Working[], rows: readonly (readonly string[])[]): boolean {
  const seen = new Map<string, string>();
  for (const [row, fields] of rows.entries()) {
    const key = JSON.stringify(columns.map((column) => column.cells[row] as string));
    const whole = JSON.stringify(fields.map((field) => field.trim()));
    const before = seen.get(key);
    if (before !== undefined && before !== whole) return false;
    seen.set(key, whole);
  }
  return true;
}

/** The key: an identifier column, else one time column, else an entity and a time column, else none. */
function chooseKey(
  columns: readonly Working[],
  sample: readonly (readonly string[])[],
  { wholeFile }: { readonly wholeFile: boolean },
): { key: Working[]; why: string } {
  const sampleNote = wholeFile ? '' : ' in the sample';
  const rows = sample.length;
  if (rows < 2) return { key: [], why: 'too few rows to tell: rows are keyed by their content (row_hash)' };
  const keyable = columns.filter(
    (column) => complete(column) && column.declaration.type !== 'number' && column.declaration.type !== 'boolean',
  );
  const identifier = keyable.find(
    (column) => (isIdentifierName(column.name) || column.declaration.type === 'uuid') && unique([column], sample),
  );
  if (identifier !== undefined)
    return {
      key: [identifier],
      why: `${identifier.name} names an identifier and is unique (apart from rows repeated whole) and never empty${sampleNote}`,
    };
  const time = keyable.find((column) => isTemporal(column) && unique([column], sample));
  if (time !== undefined) return { key: [time], why: `one row per ${time.name}: unique and never empty${sampleNote}` };
  // An entity (a text column with few distinct values) observed over time: (location, date), (symbol, date).
  for (const timeColumn of keyable.filter(isTemporal)) {
    const entities = keyable
      .filter(
        (column) => column !== timeColumn && !isTemporal(column) && !isNumeric(column) && column.profile.distinct <= Math.max(1, rows / 4),
      )
      .sort((a, b) => a.profile.distinct - b.profile.distinct);
    const entity = entities.find((column) => unique([column, timeColumn], sample));
    if (entity !== undefined)
      return { key: [entity, timeColumn], why: `one row per ${entity.name} and ${timeColumn.name}: unique together${sampleNote}` };
  }
  return {
    key: [],
    why: `no identifier, time or entity-and-time column is unique${sampleNote}: rows are keyed by their content (row_hash; exact duplicate rows count as duplicates)`,
  };
}

/** The shortest window that holds the usual gap between consecutive event times. */
function windowFor(column: Working): { minutes: number; why: string } {
  if (column.declaration.type === 'date') return { minutes: 1440, why: 'dates: one window per day' };
  // Read the values as the pipeline will (formats, zone), then measure the gaps between them.
  const check = compileColumnChecker({ ...column.declaration, name: column.name } as ColumnDeclaration);
  const instants = column.profile.values.map((value) => check(value)).filter((value): value is string => typeof value === 'string');
  const times = [...new Set(instants.map((instant) => Date.parse(instant)))].sort((a, b) => a - b);
  const gaps = times
    .slice(1)
    .map((time, index) => time - (times[index] as number))
    .sort((a, b) => a - b);
  const gapMinutes = gaps.length === 0 ? 1 : (gaps[Math.floor(gaps.length / 2)] as number) / 60_000;
  const minutes = WINDOW_MINUTES.find((length) => length >= gapMinutes) ?? 1440;
  return {
    minutes,
    why:
      gaps.length === 0
        ? 'default one-minute windows'
        : `the usual gap between event times is ${gapMinutes < 1 ? 'under a minute' : `about ${Math.round(gapMinutes)} min`}`,
  };
}

/**
 * The draft for a sample: `header` as the file has it, `rows` the fields of each well-formed data
 * row (rows the reader rejects are the caller's to report).
 */
export function draftDeclaration(header: readonly string[], rows: readonly (readonly string[])[], options: DraftOptions): Draft {
  const columns = workingColumns(header, rows, options);
  const decisions: Decision[] = [];

  const { key, why: keyWhy } = chooseKey(columns, rows, { wholeFile: options.wholeFile });
  decisions.push({
    what: 'key',
    decided: key.length === 0 ? '(none: row_hash)' : key.map((column) => column.name).join(', '),
    why: keyWhy,
  });
  const { eventTime, window } = chooseEventTime(columns, key, decisions);
  const dimensions = chooseDimensions(columns, key, eventTime, rows.length, decisions);
  const measures = chooseMeasures(columns, key, eventTime, decisions);
  const report = chooseReport(eventTime, measures, dimensions, decisions);

  const declared = declareColumns(columns, { key, eventTime, dimensions });
  const csv = csvDialect(options.csv);
  const declaration: Record<string, unknown> = {
    name: options.name,
    version: 1,
    description: `Drafted by infer-dataset from ${options.source}; review it before use.`,
    ...(Object.keys(csv).length === 0 ? {} : { csv }),
    columns: declared,
    key: key.map((column) => column.name),
    ...(eventTime === undefined ? {} : { eventTime: eventTime.name, windowMinutes: window?.minutes }),
    dimensions: dimensions.map((column) => column.name),
    measures: measures.map((column) => column.name),
    ...(report === undefined ? {} : { report }),
  };
  return {
    declaration,
    columns: columns.map((column) => ({
      header: column.header,
      name: column.name,
      type: describeType(declared[columns.indexOf(column)] as Record<string, unknown>),
      why: column.why,
    })),
    decisions,
  };
}

/** The event time: a temporal key column, else the first temporal column never empty; and its window length. */
function chooseEventTime(
  columns: readonly Working[],
  key: readonly Working[],
  decisions: Decision[],
): { eventTime: Working | undefined; window: { minutes: number; why: string } | undefined } {
  const eventTime = key.find(isTemporal) ?? columns.find((column) => isTemporal(column) && complete(column));
  const window = eventTime === undefined ? undefined : windowFor(eventTime);
  decisions.push({
    what: 'eventTime',
    decided: eventTime?.name ?? '(none)',
    why:
      eventTime === undefined
        ? 'no date or timestamp column is filled in every row: facts only, no window aggregates or report'
        : `${eventTime.declaration.type} column${eventTime === key.find(isTemporal) ? ' of the key' : ''}, never empty`,
  });
  if (window !== undefined) decisions.push({ what: 'windowMinutes', decided: String(window.minutes), why: window.why });
  return { eventTime, window };
}

/** The report: p95 of the first measure per first dimension and day, when there is an event time to window by. */
function chooseReport(eventTime: Working | undefined, measures: readonly Working[], dimensions: readonly Working[], decisions: Decision[]) {
  const report =
    eventTime === undefined || measures.length === 0 || dimensions.length === 0
      ? undefined
      : {
          measure: (measures[0] as Working).name,
          dimension: (dimensions[0] as Working).name,
          percentile: 0.95,
          sigma: 3,
          minDistinctEvents: 1,
        };
  decisions.push({
    what: 'report',
    decided: report === undefined ? '(none)' : `p95 of ${report.measure} per ${report.dimension} and day`,
    why:
      report === undefined
        ? 'a report needs an event time, a measure and a dimension'
        : 'the first measure and dimension; every group reported (minDistinctEvents 1)',
  });
  return report;
}

/** Each column of the header with its profile and inferred type. */
function workingColumns(header: readonly string[], rows: readonly (readonly string[])[], options: DraftOptions): Working[] {
  // Empty header fields at the end of the line are ignored by header binding: so here too.
  let used = header.length;
  while (used > 1 && (header[used - 1] as string).trim() === '') used -= 1;
  const headers = header.slice(0, used).map((text) => text.trim());
  const names = uniqueSqlNames(headers.map((text) => ({ header: text })));
  return headers.map((text, index) => {
    const cells = rows.map((row) => (row[index] ?? '').trim());
    const profile = profileColumn(cells);
    const inferred = inferColumnType(profile, { timeZone: options.timeZone });
    return { header: text, name: names[index] as string, profile, declaration: inferred.declaration, why: inferred.reason, cells };
  });
}

/** Text columns with few distinct values, the key's first, at most MAX_DIMENSIONS; none without an event time. */
function chooseDimensions(
  columns: readonly Working[],
  key: readonly Working[],
  eventTime: Working | undefined,
  rowCount: number,
  decisions: Decision[],
): Working[] {
  const dimensions =
    eventTime === undefined
      ? []
      : columns
          .filter(
            (column) => (column.declaration.type === 'string' || column.declaration.type === 'boolean') && column.profile.distinct >= 2,
          )
          .filter((column) => column.profile.distinct <= MAX_DIMENSION_VALUES && column.profile.distinct <= Math.max(2, rowCount / 5))
          .sort((a, b) => Number(key.includes(b)) - Number(key.includes(a)) || a.profile.distinct - b.profile.distinct)
          .slice(0, MAX_DIMENSIONS);
  decisions.push({
    what: 'dimensions',
    decided:
      dimensions.length === 0 ? '(none)' : dimensions.map((column) => `${column.name} (${column.profile.distinct} values)`).join(', '),
    why:
      eventTime === undefined
        ? 'windows need an event time'
        : `text columns with ${MAX_DIMENSION_VALUES} or fewer distinct values, fewest first, at most ${MAX_DIMENSIONS}`,
  });
  return dimensions;
}

/** Numeric columns outside the key that are not identifiers, at most MAX_MEASURES; none without an event time. */
function chooseMeasures(
  columns: readonly Working[],
  key: readonly Working[],
  eventTime: Working | undefined,
  decisions: Decision[],
): Working[] {
  const numeric = columns.filter((column) => isNumeric(column) && !key.includes(column) && !isIdentifierName(column.name));
  const measures = eventTime === undefined ? [] : numeric.slice(0, MAX_MEASURES);
  decisions.push({
    what: 'measures',
    decided: measures.length === 0 ? '(none)' : measures.map((column) => column.name).join(', '),
    why:
      eventTime === undefined
        ? 'windows need an event time'
        : numeric.length > MAX_MEASURES
          ? `the first ${MAX_MEASURES} numeric columns that are not identifiers (${numeric.length} in all)`
          : 'numeric columns that are not identifiers',
  });
  return measures;
}

/**
 * The columns as declared. Sizes: key and dimension text stays short (SQL index keys); other text
 * gets the default or room; then one row must fit an event.
 */
function declareColumns(
  columns: readonly Working[],
  {
    key,
    eventTime,
    dimensions,
  }: { readonly key: readonly Working[]; readonly eventTime: Working | undefined; readonly dimensions: readonly Working[] },
): Record<string, unknown>[] {
  const declared = columns.map((column) => {
    const declaration: Record<string, unknown> = { name: column.name };
    if (column.header !== column.name) declaration.header = column.header;
    Object.assign(declaration, column.declaration);
    const mustBeFilled = key.includes(column) || column === eventTime;
    if (mustBeFilled) declaration.required = true;
    if (column.declaration.type === 'string') {
      const tight = mustBeFilled || dimensions.includes(column);
      const length = tight
        ? roomyLength(column.profile.longest)
        : column.profile.longest * 2 <= DEFAULT_STRING_MAX_LENGTH
          ? undefined
          : roomyLength(column.profile.longest);
      if (length !== undefined) declaration.maxLength = length;
    }
    return declaration;
  });
  // One row must fit an event: shrink the roomiest text columns toward what was seen, largest first.
  const lengthOf = (declaration: Record<string, unknown>) =>
    declaration.type === 'string' ? ((declaration.maxLength as number | undefined) ?? DEFAULT_STRING_MAX_LENGTH) : 36;
  let total = declared.reduce((sum, declaration) => sum + lengthOf(declaration), 0);
  for (const [index, declaration] of [...declared.entries()].sort((a, b) => lengthOf(b[1]) - lengthOf(a[1]))) {
    if (total <= MAX_ROW_CHARACTERS || declaration.type !== 'string') break;
    const seen = Math.max(1, (columns[index] as Working).profile.longest);
    total -= lengthOf(declaration) - seen;
    declaration.maxLength = seen;
  }
  return declared;
}

/** The dialect as the declaration writes it: only what differs from the defaults. */
function csvDialect(csv: DraftOptions['csv']): Record<string, unknown> {
  return {
    ...(csv.delimiter === ',' ? {} : { delimiter: csv.delimiter }),
    ...(csv.quote === '"' ? {} : { quote: csv.quote }),
    ...(csv.escape === csv.quote ? {} : { escape: csv.escape }),
    ...(csv.encoding === 'utf-8' ? {} : { encoding: csv.encoding }),
    ...(csv.skipRows === 0 ? {} : { skipRows: csv.skipRows }),
    ...(csv.comment === undefined ? {} : { comment: csv.comment }),
  };
}

function describeType(declaration: Record<string, unknown>): string {
  const parts = [declaration.type as string];
  if (declaration.required === true) parts.push('required');
  if (declaration.maxLength !== undefined) parts.push(`≤ ${declaration.maxLength as number} chars`);
  return parts.join(', ');
}
