/** Small pieces every SQLite adapter file needs: value conversion, error mapping, the clock. */
import type { TypedValue } from '../../datasets/dataset-declaration.js';
import { EtlError } from '../../errors/etl-error.js';
import type { RetryPolicy } from '../../runtime/retry.js';
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

/** A synchronous SQLite call run as a promise, under the store's retry policy. */
export type SqliteCall = <T>(what: string, call: () => T) => Promise<T>;

/**
 * Runs synchronous SQLite calls as promises, with errors mapped to `EtlError`, through the same
 * retry wrapper as Azure SQL's calls (`../transient-retry.ts`): inside a handler's retry loop one
 * attempt, elsewhere (extract's manifest calls, the outbox relay, the status API) retried on a
 * budget of its own under `retry`, the policy `openEtlStore` was given, failing with the `EtlError`.
 * The store's busy timeout is short, so a long lock reaches this loop as a transient error
 * (docs/faults.md, "Retries").
 */
export function sqliteCaller(retry: RetryPolicy): SqliteCall {
  return (what, call) =>
    withSqlRetry(
      async () => call(),
      (error) => toEtlError(error, what),
      retry,
    );
}

export type Clock = () => Date;
