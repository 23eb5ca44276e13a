/**
 * SQL identifiers come only from dataset declarations, never from data. They are validated against
 * the same pattern the declarations use and quoted anyway, so a name that slipped past validation
 * still cannot end a statement.
 */
import { EtlError } from '../errors/etl-error.js';

const IDENTIFIER = /^[a-z][a-z0-9_]{0,62}$/;

/** Throws `INVALID_DATASET` unless `name` matches `[a-z][a-z0-9_]{0,62}`. */
export function assertIdentifier(name: string): string {
  if (!IDENTIFIER.test(name)) {
    throw new EtlError('INVALID_DATASET', `"${name}" is not a valid SQL identifier: expected [a-z][a-z0-9_]{0,62}`);
  }
  return name;
}

/** `"name"` for SQLite. Table names built from a dataset name may exceed 63 characters, so only the pattern's characters are checked. */
export function quoteSqlite(name: string): string {
  assertIdentifierCharacters(name);
  return `"${name}"`;
}

/** `[name]` for T-SQL. */
export function quoteTsql(name: string): string {
  assertIdentifierCharacters(name);
  return `[${name}]`;
}

function assertIdentifierCharacters(name: string): void {
  if (!/^[a-z][a-z0-9_]{0,127}$/.test(name)) {
    throw new EtlError('INVALID_DATASET', `"${name}" is not a valid SQL identifier`);
  }
}
