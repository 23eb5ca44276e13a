/**
 * Headers and SQL names are separate: a file's header is any text (`Airport Name`, `Cost Total $`,
 * `Température`), a column's SQL name is an identifier (`[a-z][a-z0-9_]{0,62}`). This is the one
 * place that derives a SQL name from a header and compares headers, for the declaration schema,
 * header binding and `infer-dataset` alike.
 */
import { DERIVED_COLUMNS } from './dataset-declaration.js';

const MAX_NAME_LENGTH = 63;
const RESERVED: ReadonlySet<string> = new Set(DERIVED_COLUMNS);

/**
 * snake_case of a header: accents dropped (`é` → `e`), letters lower-cased, every run of other
 * characters one `_`; a name that would not start with a letter is prefixed `c_`; cut to 63.
 * `Airport Name` → `airport_name`, `Cost Total $` → `cost_total`, `2nd value` → `c_2nd_value`.
 */
export function sqlNameFor(header: string): string {
  let name = header
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (name === '') name = 'column';
  if (!/^[a-z]/.test(name)) name = `c_${name}`;
  return name.slice(0, MAX_NAME_LENGTH).replace(/_+$/, '');
}

/**
 * SQL names for a list of columns: a declared name is kept, a missing one is derived from the
 * header and made unique (`_2`, `_3`, … against every other name, and never a derived column's).
 */
export function uniqueSqlNames(columns: readonly { readonly name?: string; readonly header?: string }[]): string[] {
  const taken = new Set<string>(columns.flatMap((column) => (column.name === undefined ? [] : [column.name])));
  return columns.map((column) => {
    if (column.name !== undefined) return column.name;
    const base = sqlNameFor(column.header ?? '');
    let name = base;
    for (let suffix = 2; taken.has(name) || RESERVED.has(name); suffix += 1) {
      const tail = `_${suffix}`;
      name = `${base.slice(0, MAX_NAME_LENGTH - tail.length)}${tail}`;
    }
    taken.add(name);
    return name;
  });
}

export type HeaderMatch = 'exact' | 'ignore-case-and-spaces';

/**
 * The form two headers are compared in: trimmed (and Unicode-normalised) for `exact`; also
 * lower-cased, with spaces and underscores removed, for `ignore-case-and-spaces`, so that
 * `Airport Name`, `airport_name` and ` AIRPORT NAME ` are one header.
 */
export function headerKey(text: string, match: HeaderMatch): string {
  const trimmed = text.trim().normalize('NFC');
  return match === 'exact' ? trimmed : trimmed.toLowerCase().replace(/[\s_]+/g, '');
}
