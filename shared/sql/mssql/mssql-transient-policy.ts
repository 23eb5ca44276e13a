/**
 * Which Azure SQL failures are worth a retry, and the unit of work the retry runs. A unit handed to
 * `withTransientRetry` is one statement or a whole transaction (begin … commit), so a retry re-runs
 * the whole chunk and a failed attempt has been rolled back: a chunk is never half applied.
 */
import { EtlError, isEtlError } from '../../errors/etl-error.js';
import { RetriesExhaustedError, RetryBudget, type RetryPolicy, type RetryTiming } from '../../runtime/retry.js';

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
 * policy (shared/runtime/retry.ts). Inside a handler's retry loop it makes one attempt and the
 * handler retries, on the invocation's budget; elsewhere (extract, the status API, migrations) it
 * retries on a budget of its own. Gives up with `SQL_FAILED` after transient errors, the last one as
 * `cause`; a permanent driver error becomes `SQL_FAILED` at once.
 */
export async function withTransientRetry<T>(
  what: string,
  attempt: () => Promise<T>,
  policy: RetryPolicy,
  timing?: Partial<RetryTiming>,
): Promise<T> {
  const classified = () =>
    attempt().catch((error: unknown) => {
      throw classifySqlError(what, error);
    });
  try {
    return await new RetryBudget(policy, timing).run(classified);
  } catch (error) {
    if (!(error instanceof RetriesExhaustedError)) throw error;
    const last = error.lastError;
    if (!isEtlError(last, 'SQL_TRANSIENT')) throw last;
    throw new EtlError('SQL_FAILED', `${last.message} (gave up after ${error.attempts} attempts of transient errors)`, {
      cause: last.cause,
    });
  }
}
