/**
 * The one way transform and aggregate write a batch: each group of events goes to the database
 * together (one transaction); if that fails for good, each event of the group goes alone, so a
 * poison event costs only itself; an event that fails alone is parked in the dead-letter store.
 * Every attempt runs under the invocation's retry budget (shared/runtime/retry.ts): a transient
 * error is retried while the budget lasts, any other error is not.
 */
import { RetriesExhaustedError, type RetryBudget } from '../runtime/retry.js';
import type { Logger } from '../runtime/logger.js';

export interface GroupSteps<Item, Result> {
  /** Writes `items` in one transaction, all or nothing. */
  write(items: readonly Item[]): Promise<Result>;
  /** Takes note of what a write did (counts, messages to publish). */
  written(items: readonly Item[], result: Result): void;
  /** Parks an item that failed on its own. */
  park(item: Item, failure: RetriesExhaustedError): Promise<void>;
  /** Names items in a log line, e.g. `chunk <id>` or `12 chunks`. */
  describe(items: readonly Item[]): string;
}

export interface GroupRun {
  /** The stage, for log lines. */
  readonly stage: string;
  readonly budget: RetryBudget;
  readonly log: Logger;
  /** Called before each retry, and when a group falls back to its items one by one. */
  readonly onRetry?: () => void;
}

/** Writes each group, falling back to its items one by one when the group fails. */
export async function writeGroupsOrEach<Item, Result>(
  groups: readonly (readonly Item[])[],
  steps: GroupSteps<Item, Result>,
  run: GroupRun,
): Promise<void> {
  for (const group of groups) {
    if (group.length > 1) {
      try {
        steps.written(group, await attempt(group, steps, run));
        continue;
      } catch (error) {
        run.onRetry?.();
        run.log.warn(`${run.stage}: ${steps.describe(group)} in one transaction failed (${messageOf(error)}); writing them one by one`);
      }
    }
    for (const item of group) {
      try {
        steps.written([item], await attempt([item], steps, run));
      } catch (error) {
        await steps.park(item, error instanceof RetriesExhaustedError ? error : new RetriesExhaustedError(1, error));
      }
    }
  }
}

function attempt<Item, Result>(items: readonly Item[], steps: GroupSteps<Item, Result>, run: GroupRun): Promise<Result> {
  return run.budget.run(
    () => steps.write(items),
    (error, attemptNumber, delayMs) => {
      run.onRetry?.();
      run.log.warn(
        `${run.stage}: ${steps.describe(items)}: attempt ${attemptNumber} failed (${messageOf(error)}); retrying in ${delayMs} ms`,
      );
    },
  );
}

function messageOf(error: unknown): string {
  const inner = error instanceof RetriesExhaustedError ? error.lastError : error;
  return inner instanceof Error ? inner.message : String(inner);
}
