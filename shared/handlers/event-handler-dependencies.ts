/** What every Event Hubs handler (transform, aggregate) needs besides its own stores. */
import type { DatasetDeclaration } from '../datasets/dataset-declaration.js';
import type { DeadLetterStore } from '../ports/dead-letter-store.js';
import { RetryBudget, type RetryPolicy, type RetryTiming } from '../runtime/retry.js';
import type { Logger } from '../runtime/logger.js';
import type { PipelineMetrics } from '../telemetry/pipeline-metrics.js';

export interface EventHandlerDependencies {
  readonly datasets: ReadonlyMap<string, DatasetDeclaration>;
  /** Where an event goes after its last failed attempt. */
  readonly deadLetters: DeadLetterStore;
  /** The retry policy; `now`, `sleep` and `random` replace the system's (tests). */
  readonly retry: RetryPolicy & Partial<RetryTiming>;
  /** Name of the hub the events came from, recorded with dead letters. */
  readonly sourceHub: string;
  readonly clock: () => Date;
  readonly log: Logger;
  /** Counts, retries, dead letters and batch durations; optional. */
  readonly metrics?: PipelineMetrics;
}

/** How one invocation of a batch handler runs. */
export interface BatchOptions {
  /** The invocation's retry budget, when the caller started it earlier (e.g. before building the runtime). */
  readonly budget?: RetryBudget;
}

/** The invocation's retry budget: the caller's, or a fresh one. */
export function budgetOf(deps: Pick<EventHandlerDependencies, 'retry'>, options: BatchOptions): RetryBudget {
  return options.budget ?? new RetryBudget(deps.retry, deps.retry);
}
