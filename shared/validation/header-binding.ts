/**
 * Binds a CSV header to a dataset: which field of each row holds which declared column. Files may
 * order their columns freely. A column's header is its `header` text (default its name), compared
 * by the dataset's rule (column-names.ts): `exact` (trimmed, case-sensitive) or
 * `ignore-case-and-spaces`. Empty header fields at the end (a trailing delimiter on every line)
 * are ignored, with whatever the rows hold there.
 */
import { DEFAULT_CSV_DIALECT, type DatasetDeclaration } from '../datasets/dataset-declaration.js';
import { headerKey } from '../datasets/column-names.js';

/** Field index per dataset column, in declaration order, and how many fields a row has. */
export type HeaderBinding = { readonly indexes: readonly number[]; readonly fieldCount: number };

export function bindHeader(
  dataset: DatasetDeclaration,
  header: readonly string[],
): { ok: true; binding: HeaderBinding } | { ok: false; reason: string } {
  const match = (dataset.csv ?? DEFAULT_CSV_DIALECT).headerMatch;
  let used = header.length;
  while (used > 1 && (header[used - 1] as string).trim() === '') used -= 1;
  const positions = new Map<string, number>();
  const duplicates: string[] = [];
  header.slice(0, used).forEach((raw, index) => {
    const key = headerKey(raw, match);
    if (positions.has(key)) duplicates.push(raw.trim());
    else positions.set(key, index);
  });
  const keyOf = (column: DatasetDeclaration['columns'][number]) => headerKey(column.header ?? column.name, match);
  const declared = new Set(dataset.columns.map(keyOf));
  const missing = dataset.columns.filter((column) => !positions.has(keyOf(column))).map((column) => column.header ?? column.name);
  const unknown = header
    .slice(0, used)
    .filter((raw) => !declared.has(headerKey(raw, match)))
    .map((raw) => raw.trim());
  const problems: string[] = [];
  if (missing.length > 0) problems.push(`missing columns: ${missing.join(', ')}`);
  if (unknown.length > 0) problems.push(`unknown columns: ${unknown.map((name) => (name === '' ? "''" : name)).join(', ')}`);
  if (duplicates.length > 0) problems.push(`duplicate columns: ${duplicates.join(', ')}`);
  if (problems.length > 0) {
    const rule = match === 'exact' ? '' : ` (headers compared ${match})`;
    return { ok: false, reason: `header does not match dataset ${dataset.name}${rule}: ${problems.join('; ')}` };
  }
  return {
    ok: true,
    binding: { indexes: dataset.columns.map((column) => positions.get(keyOf(column)) as number), fieldCount: header.length },
  };
}

/** The binding of a row whose fields are exactly the declaration's columns, in order (chunk events). */
export function identityBinding(dataset: DatasetDeclaration): HeaderBinding {
  return { indexes: dataset.columns.map((_, index) => index), fieldCount: dataset.columns.length };
}
