/**
 * How long a column's values can be as text: the one rule the declaration checks (row and key
 * budgets), validation (a string's default `maxLength`) and the SQL schema (NVARCHAR sizes of facts
 * and window columns) all use, so a value the declaration allows always fits the column it lands in.
 */
import type { ColumnDeclaration } from './dataset-declaration.js';
import { encodedTupleLength } from './value-tuple.js';

/** A `string` column's `maxLength` when it declares none. */
export const DEFAULT_STRING_MAX_LENGTH = 256;

/**
 * Longest text of one typed value, in UTF-16 code units (what JavaScript's `length` and SQL
 * Server's NVARCHAR both count). Numbers as JavaScript prints them: `-9007199254740991` (17) for
 * integers, `-0.0000012345678901234567` (25) for numbers; timestamps in canonical UTC (24), dates 10.
 */
export function valueTextLength(column: Pick<ColumnDeclaration, 'type' | 'maxLength' | 'values'>): number {
  switch (column.type) {
    case 'string':
      return column.maxLength ?? DEFAULT_STRING_MAX_LENGTH;
    case 'uuid':
      return 36;
    case 'enum':
      return Math.max(0, ...(column.values ?? []).map((value) => value.length));
    case 'integer':
      return 17;
    case 'number':
      return 25;
    case 'boolean':
      return 5; // 'false'
    case 'timestamp':
      return 24;
    case 'date':
      return 10;
  }
}

/**
 * Longest dimension key of a dataset whose dimension columns have these longest texts: the key is
 * what the window tables are keyed by (`dimension_key`), so its column is sized from this.
 */
export function dimensionKeyLength(valueLengths: readonly number[]): number {
  return encodedTupleLength(valueLengths);
}

/**
 * Most characters of a dimension key: the window tables' `dimension_key` column is part of their
 * clustered primary key, which Azure SQL limits to 900 bytes; with the window start (8 bytes) and
 * NVARCHAR's 2 bytes a character, 440 characters stay inside it
 * (https://learn.microsoft.com/sql/sql-server/maximum-capacity-specifications-for-sql-server).
 */
export const MAX_DIMENSION_KEY_LENGTH = 440;
