/**
 * The one retry wrapper of both SQL adapters. Each adapter brings its classifier (which failures
 * are `SQL_TRANSIENT`); this runs a unit of work under the pipeline's retry policy and turns the
 * retry loop's `RetriesExhaustedError` back into the error itself, so that a store call fails with
 * an `EtlError` (or a caller's own error) wherever it runs.
 */
import { EtlError, isEtlError } from '../errors/etl-error.js';
import { RetriesExhaustedError, RetryBudget, type RetryPolicy, type RetryTiming } from '../runtime/retry.js';

/**
 * Runs one unit of SQL work (a statement, or a whole transaction) under `policy`
 * (shared/runtime/retry.ts), its failures mapped by `classify`. Inside a handler's retry loop it
 * makes one attempt and the handler retries, on the invocation's budget; elsewhere (extract, the
 * status API, migrations, the outbox relay) it retries on a budget of its own. Gives up with
 * `SQL_FAILED` after transient errors, the last one's cause kept; any other error is thrown as
 * classified, at once.
 */
export async function withSqlRetry<T>(
  attempt: () => Promise<T>,
  classify: (error: unknown) => unknown,
  policy: RetryPolicy,
  timing?: Partial<RetryTiming>,
): Promise<T> {
  const classified = () =>
    attempt().catch((error: unknown) => {
      throw classify(error);
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
