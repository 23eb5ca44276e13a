/**
 * Row validation: the fields of one CSV row become a typed row, or the first reason the row is
 * bad. Runs on every row of every file, so the per-column checkers are compiled once per dataset.
 */
import type { DatasetDeclaration, TypedRow, TypedValue } from '../datasets/dataset-declaration.js';
import { compileColumnChecker, Rejection, type ColumnChecker } from './column-checker.js';
import type { HeaderBinding } from './header-binding.js';

export type RowValidation = { ok: true; row: TypedRow } | { ok: false; reason: string };

interface CompiledDataset {
  readonly names: readonly string[];
  readonly checkers: readonly ColumnChecker[];
}

// Keyed by the declaration object: declarations are frozen and live as long as the process.
const compiled = new WeakMap<DatasetDeclaration, CompiledDataset>();

function compile(dataset: DatasetDeclaration): CompiledDataset {
  let entry = compiled.get(dataset);
  if (entry === undefined) {
    entry = {
      names: dataset.columns.map((column) => column.name),
      checkers: dataset.columns.map(compileColumnChecker),
    };
    compiled.set(dataset, entry);
  }
  return entry;
}

/**
 * Types `fields` (one CSV row, in file order) by the dataset's columns. `binding` says which field
 * holds which column; a row must have as many fields as the header it was bound from.
 */
export function validateRow(dataset: DatasetDeclaration, binding: HeaderBinding, fields: readonly string[]): RowValidation {
  const { names, checkers } = compile(dataset);
  const count = names.length;
  if (fields.length !== binding.fieldCount) return { ok: false, reason: `expected ${binding.fieldCount} fields, got ${fields.length}` };
  const indexes = binding.indexes;
  const row: Record<string, TypedValue> = {};
  for (let i = 0; i < count; i++) {
    const value = (checkers[i] as ColumnChecker)(fields[indexes[i] as number] as string);
    if (value instanceof Rejection) return { ok: false, reason: value.reason };
    row[names[i] as string] = value;
  }
  return { ok: true, row };
}
