/**
 * The SQL shape of one dataset, derived from its declaration and shared by every dialect: table
 * names, the facts columns (declared + derived) and the window columns. Pure; adapters only add
 * quoting and types.
 */
import { DERIVED_COLUMNS, type ColumnType, type DatasetDeclaration, type Fact, type TypedValue } from '../datasets/dataset-declaration.js';
import type { MeasureSummary, SerializedSketch, WindowPartial } from '../aggregates/window-partial.js';
import { dimensionKeyLength, valueTextLength } from '../datasets/value-text-length.js';
import { encodeTuple } from '../datasets/value-tuple.js';
import { EtlError } from '../errors/etl-error.js';
import { assertIdentifier } from './sql-identifier.js';

/** Column types as SQL sees them: the declared ones plus `date` for `event_date`. */
export type SqlValueType = ColumnType | 'date';

export interface FactColumn {
  readonly name: string;
  readonly type: SqlValueType;
  readonly required: boolean;
  /**
   * Longest value as text (value-text-length.ts): the NVARCHAR size of a text column in T-SQL, and
   * of a window table's column when the column is a dimension (dimension values are stored as text).
   */
  readonly maxLength: number;
}

/** The five window columns of one measure. */
export interface MeasureColumns {
  readonly count: string;
  readonly sum: string;
  readonly sumOfSquares: string;
  readonly min: string;
  readonly max: string;
}

export interface DatasetTables {
  readonly dataset: DatasetDeclaration;
  readonly factsTable: string;
  readonly windowsTable: string;
  /** Declared columns in declaration order, then the derived ones. */
  readonly factColumns: readonly FactColumn[];
  readonly keyColumns: readonly FactColumn[];
  readonly dimensionColumns: readonly FactColumn[];
  readonly measureColumns: Readonly<Record<string, MeasureColumns>>;
  readonly sketchColumns: Readonly<Record<string, string>>;
  /** Longest `dimension_key` of the window table (at least 1: an empty dimension list keys by ''). */
  readonly dimensionKeyLength: number;
}

/** The derived facts columns that come from the event time: a dataset without one has none of them. */
const EVENT_TIME_COLUMNS: ReadonlySet<string> = new Set(['event_date', 'event_hour', 'window_start']);

/** Derived facts columns: their SQL types. `file_id` is long enough for a path-based id. */
const DERIVED_FACT_COLUMNS: readonly FactColumn[] = [
  { name: 'event_date', type: 'date', required: true, maxLength: 10 },
  { name: 'event_hour', type: 'integer', required: true, maxLength: 2 },
  { name: 'window_start', type: 'timestamp', required: true, maxLength: 24 },
  { name: 'file_id', type: 'string', required: true, maxLength: 400 },
  { name: 'row_number', type: 'integer', required: true, maxLength: 17 },
];

/** The key column of a dataset that declares no key: the SHA-256 of the row, in hex. */
const ROW_HASH_COLUMN: FactColumn = { name: 'row_hash', type: 'string', required: true, maxLength: 64 };

/** Fixed window-table columns; dimension and measure columns must not collide with them. */
const WINDOW_FIXED_COLUMNS = ['window_start', 'dimension_key', 'count', 'updated_at'];

const cache = new WeakMap<DatasetDeclaration, DatasetTables>();

/** Validates the identifiers of a declaration and describes its tables (memoised per declaration object). */
export function datasetTables(dataset: DatasetDeclaration): DatasetTables {
  const cached = cache.get(dataset);
  if (cached) return cached;
  assertIdentifier(dataset.name);
  if (!Number.isInteger(dataset.windowMinutes) || dataset.windowMinutes < 1) {
    throw new EtlError('INVALID_DATASET', `${dataset.name}: windowMinutes must be a positive integer`);
  }
  const factColumns = factColumnsOf(dataset);
  const { keyColumns, dimensionColumns } = roleColumns(dataset, factColumns);
  const { measureColumns, sketchColumns } = windowMeasureColumns(dataset);
  assertWindowColumnsUnique(dataset, measureColumns, sketchColumns);
  const tables: DatasetTables = {
    dataset,
    factsTable: `${dataset.name}_facts`,
    windowsTable: `${dataset.name}_windows_${dataset.windowMinutes}m`,
    factColumns,
    keyColumns,
    dimensionColumns,
    measureColumns,
    sketchColumns,
    dimensionKeyLength: Math.max(1, dimensionKeyLength(dimensionColumns.map((column) => column.maxLength))),
  };
  cache.set(dataset, tables);
  return tables;
}

/** The declared columns (identifiers checked, none reserved), then the derived ones, then `row_hash` for a dataset without a key. */
function factColumnsOf(dataset: DatasetDeclaration): FactColumn[] {
  const declared: FactColumn[] = dataset.columns.map((column) => {
    assertIdentifier(column.name);
    if ((DERIVED_COLUMNS as readonly string[]).includes(column.name)) {
      throw new EtlError('INVALID_DATASET', `${dataset.name}: column name ${column.name} is reserved`);
    }
    return {
      name: column.name,
      type: column.type,
      required: column.required === true,
      maxLength: valueTextLength(column),
    };
  });
  // A dataset without a key is keyed by the row's hash (to-fact.ts).
  const derived =
    dataset.eventTime === undefined ? DERIVED_FACT_COLUMNS.filter((column) => !EVENT_TIME_COLUMNS.has(column.name)) : DERIVED_FACT_COLUMNS;
  return [...declared, ...derived, ...(dataset.key.length === 0 ? [ROW_HASH_COLUMN] : [])];
}

/** The key and dimension columns; every column a role names must be declared, and measures numeric. */
function roleColumns(
  dataset: DatasetDeclaration,
  factColumns: readonly FactColumn[],
): { keyColumns: FactColumn[]; dimensionColumns: FactColumn[] } {
  const byName = new Map(factColumns.map((column) => [column.name, column]));
  const pick = (names: readonly string[], role: string): FactColumn[] =>
    names.map((name) => {
      const column = byName.get(name);
      if (!column) throw new EtlError('INVALID_DATASET', `${dataset.name}: ${role} column ${name} is not declared`);
      return column;
    });
  const keyColumns = pick(dataset.key.length === 0 ? [ROW_HASH_COLUMN.name] : dataset.key, 'key');
  if (keyColumns.length === 0) throw new EtlError('INVALID_DATASET', `${dataset.name}: a key column is required`);
  const dimensionColumns = pick(dataset.dimensions, 'dimension');
  for (const measure of pick(dataset.measures, 'measure')) {
    if (measure.type !== 'number' && measure.type !== 'integer') {
      throw new EtlError('INVALID_DATASET', `${dataset.name}: measure ${measure.name} must be numeric`);
    }
  }
  pick(dataset.quantileMeasures, 'quantile measure');
  return { keyColumns, dimensionColumns };
}

/** The window table's columns for each measure (count, sum, sum of squares, min, max) and each quantile measure (its sketch). */
function windowMeasureColumns(dataset: DatasetDeclaration): {
  measureColumns: Record<string, MeasureColumns>;
  sketchColumns: Record<string, string>;
} {
  const measureColumns: Record<string, MeasureColumns> = {};
  for (const measure of dataset.measures) {
    measureColumns[measure] = {
      count: `${measure}_count`,
      sum: `${measure}_sum`,
      sumOfSquares: `${measure}_sum_of_squares`,
      min: `${measure}_min`,
      max: `${measure}_max`,
    };
  }
  const sketchColumns: Record<string, string> = {};
  for (const measure of dataset.quantileMeasures) sketchColumns[measure] = `${measure}_sketch`;
  return { measureColumns, sketchColumns };
}

/** No window column may appear twice: dimension, measure and sketch columns must not collide with each other or the fixed ones. */
function assertWindowColumnsUnique(
  dataset: DatasetDeclaration,
  measureColumns: Readonly<Record<string, MeasureColumns>>,
  sketchColumns: Readonly<Record<string, string>>,
): void {
  const windowColumnNames = [
    ...WINDOW_FIXED_COLUMNS,
    ...dataset.dimensions,
    ...Object.values(measureColumns).flatMap((columns) => Object.values(columns)),
    ...Object.values(sketchColumns),
  ];
  const seen = new Set<string>();
  for (const name of windowColumnNames) {
    if (seen.has(name)) throw new EtlError('INVALID_DATASET', `${dataset.name}: window column ${name} would appear twice`);
    seen.add(name);
  }
}

/** How a derived facts column gets its value from a fact; undefined for a declared column. */
export function derivedFactValue(name: string): ((fact: Fact) => string | number | null) | undefined {
  switch (name) {
    case 'event_date':
      return (fact) => fact.eventDate;
    case 'event_hour':
      return (fact) => fact.eventHour;
    case 'window_start':
      return (fact) => fact.windowStart;
    case 'file_id':
      return (fact) => fact.fileId;
    case 'row_number':
      return (fact) => fact.rowNumber;
    case 'row_hash':
      return (fact) => fact.key;
    default:
      return undefined;
  }
}

/** The values of one fact in `factColumns` order, as JS values (adapters convert for their driver). */
export function factRowValues(tables: DatasetTables, fact: Fact): TypedValue[] {
  return tables.factColumns.map((column) => {
    const derived = derivedFactValue(column.name);
    return derived === undefined ? (fact.values[column.name] ?? null) : derived(fact);
  });
}

/** A dimension value as window partials spell it: text, null as ''. */
export function dimensionText(type: SqlValueType, value: unknown): string {
  if (value === null || value === undefined) return '';
  if (type === 'boolean') return value === true || value === 1 ? 'true' : 'false';
  if (value instanceof Date) return type === 'date' ? value.toISOString().slice(0, 10) : value.toISOString();
  return String(value);
}

/** The dimension key of a row, given its dimension values in declaration order. */
export function dimensionKeyOf(tables: DatasetTables, values: readonly unknown[]): string {
  if (tables.dimensionColumns.length === 0) return '';
  return encodeTuple(tables.dimensionColumns.map((column, index) => dimensionText(column.type, values[index])));
}

/** Window-table values of a partial, by column name. Empty min/max (±Infinity) are stored as NULL. */
export function windowRowValues(tables: DatasetTables, partial: WindowPartial): Record<string, string | number | null> {
  const row: Record<string, string | number | null> = {
    window_start: partial.windowStart,
    dimension_key: partial.dimensionKey,
    count: partial.count,
  };
  for (const column of tables.dimensionColumns) row[column.name] = partial.dimensions[column.name] ?? '';
  for (const [measure, columns] of Object.entries(tables.measureColumns)) {
    const summary = partial.measures[measure];
    row[columns.count] = summary?.count ?? 0;
    row[columns.sum] = summary?.sum ?? 0;
    row[columns.sumOfSquares] = summary?.sumOfSquares ?? 0;
    row[columns.min] = summary && Number.isFinite(summary.min) ? summary.min : null;
    row[columns.max] = summary && Number.isFinite(summary.max) ? summary.max : null;
  }
  for (const [measure, column] of Object.entries(tables.sketchColumns)) {
    const sketch = partial.sketches[measure];
    row[column] = sketch ? JSON.stringify(sketch) : null;
  }
  return row;
}

/** The partial a stored window row holds (the inverse of `windowRowValues`). */
export function windowPartialFromRow(tables: DatasetTables, row: Readonly<Record<string, unknown>>): WindowPartial {
  const dimensions: Record<string, string> = {};
  for (const column of tables.dimensionColumns) dimensions[column.name] = String(row[column.name] ?? '');
  const measures: Record<string, MeasureSummary> = {};
  for (const [measure, columns] of Object.entries(tables.measureColumns)) {
    measures[measure] = {
      count: Number(row[columns.count] ?? 0),
      sum: Number(row[columns.sum] ?? 0),
      sumOfSquares: Number(row[columns.sumOfSquares] ?? 0),
      min: row[columns.min] == null ? Number.POSITIVE_INFINITY : Number(row[columns.min]),
      max: row[columns.max] == null ? Number.NEGATIVE_INFINITY : Number(row[columns.max]),
    };
  }
  const sketches: Record<string, SerializedSketch> = {};
  for (const [measure, column] of Object.entries(tables.sketchColumns)) {
    const text = row[column];
    if (typeof text === 'string') sketches[measure] = JSON.parse(text) as SerializedSketch;
  }
  return {
    dataset: tables.dataset.name,
    windowStart: isoText(row.window_start),
    windowMinutes: tables.dataset.windowMinutes,
    dimensions,
    dimensionKey: String(row.dimension_key),
    count: Number(row.count),
    measures,
    sketches,
  };
}

/** ISO text of a timestamp read from either driver (SQLite: text; mssql: Date). */
export function isoText(value: unknown): string {
  return value instanceof Date ? value.toISOString() : String(value);
}

/** The window-table columns `windowRowValues` fills, in table order (`updated_at` excluded). */
export function windowColumnNames(tables: DatasetTables): string[] {
  return [
    'window_start',
    'dimension_key',
    'count',
    ...tables.dimensionColumns.map((column) => column.name),
    ...Object.values(tables.measureColumns).flatMap((columns) => [
      columns.count,
      columns.sum,
      columns.sumOfSquares,
      columns.min,
      columns.max,
    ]),
    ...Object.values(tables.sketchColumns),
  ];
}
