/**
 * Which Azure SQL failures are worth a retry, and the unit of work the retry runs. A unit handed to
 * `withTransientRetry` is one statement or a whole transaction (begin … commit), so a retry re-runs
 * the whole chunk and a failed attempt has been rolled back: a chunk is never half applied.
 */
import { EtlError } from '../../errors/etl-error.js';
import type { RetryPolicy, RetryTiming } from '../../runtime/retry.js';
import { withSqlRetry } from '../transient-retry.js';

/**
 * Azure SQL's transient error numbers: 40613 database unavailable, 40501 service busy, 40197
 * service error (failover), 49918/49919/49920 too many operations, 4060 cannot open database
 * (during failover), 10928/10929 resource limits, 1205 deadlock victim.
 */
export const TRANSIENT_SQL_ERROR_NUMBERS: ReadonlySet<number> = new Set([
  40613, 40501, 40197, 49918, 49919, 49920, 4060, 10928, 10929, 1205,
]);

/** mssql/tedious codes of a lost or never-established connection, and of a request timeout. */
export const CONNECTION_LOSS_CODES: ReadonlySet<string> = new Set([
  'ESOCKET',
  'ECONNCLOSED',
  'ECONNRESET',
  'ETIMEOUT',
  'ENOTOPEN',
  'ECONNREFUSED',
]);

interface ErrorLike {
  readonly number?: unknown;
  readonly code?: unknown;
  readonly info?: { readonly number?: unknown };
  readonly originalError?: unknown;
  readonly precedingErrors?: readonly unknown[];
  readonly cause?: unknown;
}

/** Error numbers and codes anywhere in an mssql error: itself, the driver error it wraps, and errors before it in the batch. */
function collect(error: unknown, numbers: Set<number>, codes: Set<string>, depth = 0): void {
  if (error === null || typeof error !== 'object' || depth > 4) return;
  const e = error as ErrorLike;
  for (const value of [e.number, e.info?.number]) {
    const n = typeof value === 'string' ? Number(value) : value;
    if (typeof n === 'number' && Number.isInteger(n)) numbers.add(n);
  }
  if (typeof e.code === 'string') codes.add(e.code);
  collect(e.originalError, numbers, codes, depth + 1);
  collect(e.cause, numbers, codes, depth + 1);
  for (const preceding of e.precedingErrors ?? []) collect(preceding, numbers, codes, depth + 1);
}

export function isTransientSqlError(error: unknown): boolean {
  const numbers = new Set<number>();
  const codes = new Set<string>();
  collect(error, numbers, codes);
  return [...numbers].some((n) => TRANSIENT_SQL_ERROR_NUMBERS.has(n)) || [...codes].some((c) => CONNECTION_LOSS_CODES.has(c));
}

/** True for errors raised by the mssql driver (as opposed to our own code or a caller's callback). */
function isDriverError(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  return (
    typeof name === 'string' &&
    ['ConnectionError', 'RequestError', 'TransactionError', 'PreparedStatementError', 'MSSQLError'].includes(name)
  );
}

/**
 * The error an Azure SQL call fails with, as the pipeline's retry policy reads it: a transient one
 * becomes `EtlError('SQL_TRANSIENT')`, any other driver error `SQL_FAILED`, with the driver error as
 * `cause`; our own errors and a caller's pass through unchanged.
 */
export function classifySqlError(what: string, error: unknown): unknown {
  if (error instanceof EtlError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (isTransientSqlError(error)) return new EtlError('SQL_TRANSIENT', `Azure SQL ${what} failed: ${message}`, { cause: error });
  if (isDriverError(error)) return new EtlError('SQL_FAILED', `Azure SQL ${what} failed: ${message}`, { cause: error });
  return error;
}

/**
 * Runs one Azure SQL unit of work (a statement, or a whole transaction) under the pipeline's retry
 * policy, its driver errors classified by `classifySqlError` (`../transient-retry.ts`, shared with SQLite).
 */
export function withTransientRetry<T>(
  what: string,
  attempt: () => Promise<T>,
  policy: RetryPolicy,
  timing?: Partial<RetryTiming>,
): Promise<T> {
  return withSqlRetry(attempt, (error) => classifySqlError(what, error), policy, timing);
}
