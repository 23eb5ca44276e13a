/**
 * When to start a dead child again, and when to stop trying: exponential backoff over the deaths
 * of a recent window, as a platform restarts a crashing worker, and a limit past which the child is
 * taken to be broken rather than unlucky. Pure, so the rule is tested without processes.
 */

export interface RestartPolicy {
  /** Wait before the first restart; it doubles with every recent death. */
  readonly firstDelayMs: number;
  /** Longest wait between restarts. */
  readonly maxDelayMs: number;
  /** Most deaths within `windowMs` that are still restarted; one more gives up. */
  readonly maxDeaths: number;
  /** How far back deaths count. */
  readonly windowMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = { firstDelayMs: 1000, maxDelayMs: 30_000, maxDeaths: 5, windowMs: 120_000 };

export type RestartDecision =
  | { readonly restart: true; readonly delayMs: number; readonly recentDeaths: number }
  | { readonly restart: false; readonly recentDeaths: number };

/** After a death at `now`: `deathTimes` holds every death so far, this one included. */
export function decideRestart(deathTimes: readonly number[], now: number, policy: RestartPolicy): RestartDecision {
  const recentDeaths = deathTimes.filter((at) => now - at < policy.windowMs).length;
  if (recentDeaths > policy.maxDeaths) return { restart: false, recentDeaths };
  const delayMs = Math.min(policy.firstDelayMs * 2 ** Math.max(0, recentDeaths - 1), policy.maxDelayMs);
  return { restart: true, delayMs, recentDeaths };
}
