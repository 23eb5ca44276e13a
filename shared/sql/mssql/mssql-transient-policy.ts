/**
 * Which Azure SQL failures are worth a retry, and the retry loop itself. A unit of work handed to
 * `withTransientRetry` is always a whole transaction (begin … commit), so a retry re-runs the whole
 * chunk and a failed attempt has been rolled back: a chunk is never half applied.
 */
import { EtlError } from '../../errors/etl-error.js';

/**
 * Azure SQL's transient error numbers: 40613 database unavailable, 40501 service busy, 40197
 * service error (failover), 49918/49919/49920 too many operations, 4060 cannot open database
 * (during failover), 10928/10929 resource limits, 1205 deadlock victim.
 */
export const TRANSIENT_SQL_ERROR_NUMBERS: ReadonlySet<number> = new Set([40613, 40501, 40197, 49918, 49919, 49920, 4060, 10928, 10929, 1205]);

/** mssql/tedious codes of a lost or never-established connection, and of a request timeout. */
export const CONNECTION_LOSS_CODES: ReadonlySet<string> = new Set(['ESOCKET', 'ECONNCLOSED', 'ECONNRESET', 'ETIMEOUT', 'ENOTOPEN', 'ECONNREFUSED']);

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
  return typeof name === 'string' && ['ConnectionError', 'RequestError', 'TransactionError', 'PreparedStatementError', 'MSSQLError'].includes(name);
}

export interface RetryPolicy {
  /** Give up once this much time has passed since the first attempt. */
  readonly maxElapsedMs: number;
  /** First delay; it doubles per attempt, capped at `maxDelayMs`, with full jitter. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxElapsedMs: 60_000,
  baseDelayMs: 200,
  maxDelayMs: 10_000,
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
};

/**
 * Runs `attempt` until it succeeds, retrying transient SQL failures with exponential backoff for at
 * most `maxElapsedMs`. Gives up with `EtlError('SQL_FAILED')` (the last error as its cause); a
 * permanent driver error becomes `SQL_FAILED` at once; any other error passes through unchanged.
 */
export async function withTransientRetry<T>(what: string, attempt: () => Promise<T>, policy: RetryPolicy = DEFAULT_RETRY_POLICY): Promise<T> {
  const started = policy.now();
  for (let attempts = 1; ; attempts += 1) {
    try {
      return await attempt();
    } catch (error) {
      if (error instanceof EtlError) throw error;
      const message = error instanceof Error ? error.message : String(error);
      if (!isTransientSqlError(error)) {
        if (isDriverError(error)) throw new EtlError('SQL_FAILED', `Azure SQL ${what} failed: ${message}`, { cause: error });
        throw error;
      }
      const elapsed = policy.now() - started;
      const delay = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempts - 1)) * policy.random();
      if (elapsed + delay >= policy.maxElapsedMs) {
        throw new EtlError(
          'SQL_FAILED',
          `Azure SQL ${what} failed after ${attempts} attempts in ${Math.round(elapsed)} ms of transient errors; last: ${message}`,
          { cause: error },
        );
      }
      await policy.sleep(delay);
    }
  }
}
