/**
 * The one retry policy of the pipeline (docs/faults.md, "Retries"). Only transient errors are
 * retried, with exponential backoff and jitter, and every retry of one invocation draws on one time
 * budget. Retry loops do not nest: inside a `RetryBudget.run`, a `run` of any budget (the Azure SQL
 * session's, say) makes one attempt and leaves the retrying to the loop around it, so the budget
 * covers the handler's attempts and the driver's alike.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { APP_SETTINGS } from '../config/app-settings.js';
import { EtlError } from '../errors/etl-error.js';

export interface RetryPolicy {
  /** Most attempts of one operation, the first included. */
  readonly maxAttempts: number;
  /** Delay before the second attempt; it doubles each time, ±25 % jitter, capped at `MAX_RETRY_DELAY_MS`. */
  readonly baseDelayMs: number;
  /** Time one invocation may spend retrying: no retry starts that would end after it. */
  readonly budgetMs: number;
}

/** The policy of the app settings' defaults, for code that runs without the app's configuration. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: Number(APP_SETTINGS.ETL_MAX_ATTEMPTS.default),
  baseDelayMs: Number(APP_SETTINGS.ETL_RETRY_BASE_MS.default),
  budgetMs: Number(APP_SETTINGS.ETL_RETRY_BUDGET_MS.default),
};

/** Longest wait between two attempts. */
export const MAX_RETRY_DELAY_MS = 10_000;

/** Time as a retry loop sees it; tests inject their own. */
export interface RetryTiming {
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const SYSTEM_TIMING: RetryTiming = { now: () => Date.now(), sleep, random: Math.random };

/** An operation failed for good: a permanent error, its last attempt, or a retry past the budget. */
export class RetriesExhaustedError extends Error {
  constructor(
    /** Attempts made; 0 when the budget was already spent on an earlier operation's fault. */
    readonly attempts: number,
    readonly lastError: unknown,
  ) {
    super(`failed after ${attempts} attempt(s): ${lastError instanceof Error ? lastError.message : String(lastError)}`, {
      cause: lastError,
    });
    this.name = 'RetriesExhaustedError';
  }
}

/** Worth another attempt: an `EtlError` whose code says the service may answer next time. */
export function isTransient(error: unknown): boolean {
  return error instanceof EtlError && error.transient;
}

/** The delay before attempt `attempt + 1`. */
export function backoffDelay(baseDelayMs: number, attempt: number, random: () => number = Math.random): number {
  const base = Math.min(MAX_RETRY_DELAY_MS, baseDelayMs * 2 ** (attempt - 1));
  return Math.round(base * (0.75 + random() * 0.5));
}

/** What `run` reports before each wait, for logs and metrics. */
export type OnRetry = (error: unknown, attempt: number, delayMs: number) => void;

const enclosingLoop = new AsyncLocalStorage<RetryBudget>();

/**
 * The retries of one invocation. Once a transient fault has outlasted the budget, later operations
 * of the invocation are not attempted at all: they fail at once with that fault, so a database that
 * is down costs one budget per invocation, not one per event.
 */
export class RetryBudget {
  readonly #policy: RetryPolicy;
  readonly #timing: RetryTiming;
  readonly #deadline: number;
  #spentOn: EtlError | undefined;

  constructor(policy: RetryPolicy, timing: Partial<RetryTiming> = {}) {
    this.#policy = policy;
    this.#timing = {
      now: timing.now ?? SYSTEM_TIMING.now,
      sleep: timing.sleep ?? SYSTEM_TIMING.sleep,
      random: timing.random ?? SYSTEM_TIMING.random,
    };
    this.#deadline = this.#timing.now() + policy.budgetMs;
  }

  /**
   * Runs `operation` until it succeeds, fails with an error that is not transient, has made
   * `maxAttempts` attempts, or its next retry would end past the deadline; then throws
   * `RetriesExhaustedError`. Inside another `run`, one attempt whose error passes through as is.
   */
  run<T>(operation: () => Promise<T>, onRetry?: OnRetry): Promise<T> {
    if (enclosingLoop.getStore() !== undefined) return operation();
    return enclosingLoop.run(this, () => this.#attempts(operation, onRetry));
  }

  /**
   * One attempt, in this budget's scope (a retry loop inside it makes one attempt too), refused when
   * the budget is already spent: for best-effort work whose failure is handled later anyway.
   */
  once<T>(operation: () => Promise<T>): Promise<T> {
    if (this.#spentOn) return Promise.reject(this.#spentOn);
    if (enclosingLoop.getStore() !== undefined) return operation();
    return enclosingLoop.run(this, operation);
  }

  async #attempts<T>(operation: () => Promise<T>, onRetry: OnRetry | undefined): Promise<T> {
    if (this.#spentOn) throw new RetriesExhaustedError(0, this.#spentOn);
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await operation();
      } catch (error) {
        if (!isTransient(error) || attempt >= this.#policy.maxAttempts) throw new RetriesExhaustedError(attempt, error);
        const delay = backoffDelay(this.#policy.baseDelayMs, attempt, this.#timing.random);
        if (this.#timing.now() + delay > this.#deadline) {
          const fault = error as EtlError;
          this.#spentOn = new EtlError(
            fault.code,
            `not attempted: this invocation's retry budget (${this.#policy.budgetMs} ms) was spent on: ${fault.message}`,
            { cause: fault },
          );
          throw new RetriesExhaustedError(attempt, error);
        }
        onRetry?.(error, attempt, delay);
        await this.#timing.sleep(delay);
      }
    }
  }
}
