/**
 * Binds a CSV header to a dataset: which field of each row holds which declared column. Files may
 * order their columns freely; names are compared trimmed and case-sensitively.
 */
import type { DatasetDeclaration } from '../datasets/dataset-declaration.js';

/** Field index per dataset column, in declaration order. */
export type HeaderBinding = { readonly indexes: readonly number[] };

export function bindHeader(
  dataset: DatasetDeclaration,
  header: readonly string[],
): { ok: true; binding: HeaderBinding } | { ok: false; reason: string } {
  const positions = new Map<string, number>();
  const duplicates: string[] = [];
  header.forEach((raw, index) => {
    const name = raw.trim();
    if (positions.has(name)) duplicates.push(name);
    else positions.set(name, index);
  });
  const declared = new Set(dataset.columns.map((column) => column.name));
  const missing = dataset.columns.filter((column) => !positions.has(column.name)).map((column) => column.name);
  const unknown = [...positions.keys()].filter((name) => !declared.has(name));

  const problems: string[] = [];
  if (missing.length > 0) problems.push(`missing columns: ${missing.join(', ')}`);
  if (unknown.length > 0) problems.push(`unknown columns: ${unknown.map((name) => (name === '' ? "''" : name)).join(', ')}`);
  if (duplicates.length > 0) problems.push(`duplicate columns: ${duplicates.join(', ')}`);
  if (problems.length > 0) {
    return { ok: false, reason: `header does not match dataset ${dataset.name}: ${problems.join('; ')}` };
  }
  return { ok: true, binding: { indexes: dataset.columns.map((column) => positions.get(column.name) as number) } };
}

/** The binding of a file whose columns are exactly the declaration's, in order. */
export function identityBinding(dataset: DatasetDeclaration): HeaderBinding {
  return { indexes: dataset.columns.map((_, index) => index) };
}
