/** Small pieces every SQLite adapter file needs: value conversion, error mapping, the clock. */
import type { TypedValue } from '../../datasets/dataset-declaration.js';
import { EtlError } from '../../errors/etl-error.js';

/** better-sqlite3 binds numbers, strings and null; booleans are stored as 0/1. */
export function toSqliteValue(value: TypedValue | undefined): string | number | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value;
}

/** SQLITE_BUSY/LOCKED after busy_timeout means another process held the write lock too long: worth a retry. */
export function toEtlError(error: unknown, what: string): EtlError {
  if (error instanceof EtlError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const transient = typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
  const message = error instanceof Error ? error.message : String(error);
  return new EtlError(transient ? 'SQL_TRANSIENT' : 'SQL_FAILED', `SQLite ${what} failed: ${message}`, { cause: error });
}

/** Runs a synchronous SQLite call as a promise, with errors mapped to `EtlError`. */
export async function sqliteCall<T>(what: string, call: () => T): Promise<T> {
  try {
    return call();
  } catch (error) {
    throw toEtlError(error, what);
  }
}

export type Clock = () => Date;
