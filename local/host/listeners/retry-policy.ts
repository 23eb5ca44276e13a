/**
 * Function-level retry policies (`retry: { strategy, maxRetryCount, … }`), which the host honours
 * only for Event Hubs and timer triggers: the same input is invoked again in process after the
 * delay, with `context.retryContext` telling the handler which attempt this is. Without a policy
 * the handler is invoked once and no retryContext is passed.
 */
import type { RetryOptions } from '../functions-core-injection.js';
import type { InvocationOutcome, InvocationRequest } from '../invoke-function.js';
import { describeError, sleep, type ListenerContext } from './trigger-listener.js';

function durationMs(duration: { seconds?: number; nanos?: number } | undefined): number {
  if (duration === undefined) return 0;
  return Number(duration.seconds ?? 0) * 1000 + Math.round(Number(duration.nanos ?? 0) / 1e6);
}

export function retryDelayMs(policy: RetryOptions, retryCount: number): number {
  if (policy.retryStrategy === 'exponentialBackoff') {
    const minimum = durationMs(policy.minimumInterval);
    const maximum = durationMs(policy.maximumInterval) || Number.POSITIVE_INFINITY;
    return Math.min(minimum * 2 ** Math.max(0, retryCount - 1), maximum);
  }
  return durationMs(policy.delayInterval);
}

/**
 * Invokes until success, the policy's last retry, or `signal` aborts; rethrows the last error.
 * `items` counts only once, however many attempts it takes.
 */
export async function invokeWithRetryPolicy(
  context: ListenerContext,
  request: InvocationRequest,
  items: number,
  signal: AbortSignal,
): Promise<InvocationOutcome> {
  const policy = context.fn.metadata.retryOptions;
  if (policy === undefined || policy === null) return context.invoke(request, items);
  const maxRetryCount = policy.maxRetryCount ?? 0;
  let exception: { message?: string; stackTrace?: string } | undefined;
  for (let retryCount = 0; ; retryCount++) {
    try {
      return await context.invoke(
        { ...request, retryContext: { retryCount, maxRetryCount, ...(exception ? { exception } : {}) } },
        retryCount === 0 ? items : 0,
      );
    } catch (error) {
      const outOfRetries = maxRetryCount !== -1 && retryCount >= maxRetryCount;
      if (outOfRetries || signal.aborted) throw error;
      exception = { message: describeError(error), stackTrace: error instanceof Error ? error.stack : undefined };
      const delay = retryDelayMs(policy, retryCount + 1);
      context.log(
        'warning',
        `[${context.fn.metadata.name}] retry ${retryCount + 1}/${maxRetryCount} in ${delay} ms after: ${exception.message}`,
      );
      await sleep(delay, signal);
    }
  }
}
