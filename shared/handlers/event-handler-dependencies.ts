/** What every Event Hubs handler (transform, aggregate) needs besides its own stores. */
import type { DatasetDeclaration } from '../datasets/dataset-declaration.js';
import type { DeadLetterStore } from '../ports/dead-letter-store.js';
import type { RetryPolicy } from '../runtime/retry.js';
import type { Logger } from '../runtime/logger.js';
import type { PipelineMetrics } from '../telemetry/pipeline-metrics.js';

export interface EventHandlerDependencies {
  readonly datasets: ReadonlyMap<string, DatasetDeclaration>;
  /** Where an event goes after its last failed attempt. */
  readonly deadLetters: DeadLetterStore;
  readonly retry: RetryPolicy & { readonly sleep?: (ms: number) => Promise<void> };
  /** Name of the hub the events came from, recorded with dead letters. */
  readonly sourceHub: string;
  readonly clock: () => Date;
  readonly log: Logger;
  /** Counts, retries, dead letters and batch durations; optional. */
  readonly metrics?: PipelineMetrics;
}
