/**
 * Retry with exponential backoff and jitter. Handlers use it so that a transient fault (database
 * failover, throttling, a lost connection) costs a delay, not an event.
 */
import { EtlError } from '../errors/etl-error.js';

export interface RetryPolicy {
  /** Total attempts, the first included. */
  readonly maxAttempts: number;
  /** Delay before the second attempt; doubles each time, ±25 % jitter, capped at 30 s. */
  readonly baseDelayMs: number;
}

export interface RetryOptions extends RetryPolicy {
  /** Whether an error is worth another attempt. Default: every error except user errors. */
  readonly isRetryable?: (error: unknown) => boolean;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

export class RetriesExhaustedError extends Error {
  constructor(
    readonly attempts: number,
    readonly lastError: unknown,
  ) {
    super(`failed after ${attempts} attempt(s): ${lastError instanceof Error ? lastError.message : String(lastError)}`, { cause: lastError });
    this.name = 'RetriesExhaustedError';
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function isRetryableByDefault(error: unknown): boolean {
  if (error instanceof EtlError) return error.kind === 'system';
  return true;
}

export function backoffDelay(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const base = Math.min(30_000, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(base * (0.75 + random() * 0.5));
}

/** Run `operation` until it succeeds, a non-retryable error occurs, or attempts run out. */
export async function withRetry<T>(operation: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const isRetryable = options.isRetryable ?? isRetryableByDefault;
  const wait = options.sleep ?? sleep;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (attempt >= options.maxAttempts || !isRetryable(error)) throw new RetriesExhaustedError(attempt, error);
      const delay = backoffDelay(options, attempt);
      options.onRetry?.(error, attempt, delay);
      await wait(delay);
    }
  }
}
