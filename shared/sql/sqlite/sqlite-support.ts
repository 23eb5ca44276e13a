/** Small pieces every SQLite adapter file needs: value conversion, error mapping, the clock. */
import type { TypedValue } from '../../datasets/dataset-declaration.js';
import { EtlError } from '../../errors/etl-error.js';
import { DEFAULT_RETRY_POLICY } from '../../runtime/retry.js';
import { withSqlRetry } from '../transient-retry.js';

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

/**
 * Runs a synchronous SQLite call as a promise, with errors mapped to `EtlError`, through the same
 * retry wrapper as Azure SQL's calls (`../transient-retry.ts`): inside a handler's retry loop one
 * attempt, elsewhere (extract's manifest calls, the outbox relay, the status API) retried on a
 * budget of its own, failing with the `EtlError`. The store's busy timeout is short, so a long lock
 * reaches this loop as a transient error (docs/faults.md, "Retries").
 */
export function sqliteCall<T>(what: string, call: () => T): Promise<T> {
  return withSqlRetry(
    async () => call(),
    (error) => toEtlError(error, what),
    DEFAULT_RETRY_POLICY,
  );
}

export type Clock = () => Date;
