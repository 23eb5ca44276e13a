/**
 * Aggregate: partials events from the `aggregates` hub → merged 1-minute window rows, exactly
 * once per partial (the store writes a ledger row in the same transaction as the merge).
 *
 * The whole batch is merged in one transaction per dataset. If that fails for good, each event is
 * merged on its own, so that one poison event is dead-lettered and the rest are still applied
 * (the same rule as transform's, in group-or-each.ts).
 */
import type { DatasetDeclaration } from '../datasets/dataset-declaration.js';
import { mergeWindowPartials } from '../aggregates/window-aggregate.js';
import type { WindowPartial } from '../aggregates/window-partial.js';
import { EtlError } from '../errors/etl-error.js';
import type { WindowStore } from '../ports/etl-store.js';
import { parsePartialsEvent, partialIdOf, type PartialsEvent } from '../messages/partials-event.js';
import type { RetriesExhaustedError } from '../runtime/retry.js';
import type { IncomingEvent } from './incoming-event.js';
import { budgetOf, type BatchOptions, type EventHandlerDependencies } from './event-handler-dependencies.js';
import { parkEvent } from './dead-lettering.js';
import { writeGroupsOrEach, type GroupSteps } from './group-or-each.js';
import { startStopwatch, unixSeconds } from '../telemetry/pipeline-metrics.js';

export interface AggregateDependencies extends EventHandlerDependencies {
  readonly windows: WindowStore;
}

export interface AggregateBatchOutcome {
  readonly applied: number;
  readonly alreadyApplied: number;
  readonly deadLettered: number;
}

interface ParsedEvent {
  readonly incoming: IncomingEvent;
  readonly event: PartialsEvent;
  readonly dataset: DatasetDeclaration;
}

type MergeResult = { applied: number; alreadyApplied: number };

function ledgerEntries(events: readonly ParsedEvent[]): { partialId: string; partial: WindowPartial }[] {
  return events.flatMap(({ event }) =>
    event.partials.map((partial) => ({ partialId: partialIdOf(event.id, partial.windowStart), partial })),
  );
}

export async function aggregateBatch(
  deps: AggregateDependencies,
  events: readonly IncomingEvent[],
  options: BatchOptions = {},
): Promise<AggregateBatchOutcome> {
  const elapsedSeconds = startStopwatch();
  const batch = new AggregateRun(deps);
  const byDataset = new Map<string, ParsedEvent[]>();
  for (const parsed of await batch.parse(events)) {
    const list = byDataset.get(parsed.dataset.name);
    if (list) list.push(parsed);
    else byDataset.set(parsed.dataset.name, [parsed]);
  }
  await writeGroupsOrEach([...byDataset.values()], batch, {
    stage: 'aggregate',
    budget: budgetOf(deps, options),
    log: deps.log,
    onRetry: () => deps.metrics?.increment('etl_retry_attempts_total', { stage: 'aggregate' }),
  });
  deps.metrics?.observe('etl_aggregate_batch_seconds', {}, elapsedSeconds());
  deps.metrics?.observe('etl_batch_events', { stage: 'aggregate' }, events.length);
  deps.metrics?.set('etl_last_batch_timestamp_seconds', { stage: 'aggregate' }, unixSeconds(deps.clock()));
  return batch.outcome;
}

/** One batch: its counts, and how its events merge and park. */
class AggregateRun implements GroupSteps<ParsedEvent, MergeResult> {
  readonly outcome = { applied: 0, alreadyApplied: 0, deadLettered: 0 };

  constructor(private readonly deps: AggregateDependencies) {}

  /** Parses each event; one that does not parse is parked at once (retrying cannot help). */
  async parse(events: readonly IncomingEvent[]): Promise<ParsedEvent[]> {
    const parsed: ParsedEvent[] = [];
    for (const incoming of events) {
      try {
        const event = parsePartialsEvent(incoming.body);
        const dataset = this.deps.datasets.get(event.dataset);
        if (!dataset) throw new EtlError('MALFORMED_EVENT', `partials event names unknown dataset '${event.dataset}'`);
        parsed.push({ incoming, event, dataset });
      } catch (error) {
        await this.#park(incoming, undefined, error, 1);
      }
    }
    return parsed;
  }

  write(events: readonly ParsedEvent[]): Promise<MergeResult> {
    return this.deps.windows.mergePartials(events[0]!.dataset, ledgerEntries(events), mergeWindowPartials);
  }

  written(events: readonly ParsedEvent[], result: MergeResult): void {
    const dataset = events[0]!.dataset.name;
    this.outcome.applied += result.applied;
    this.outcome.alreadyApplied += result.alreadyApplied;
    this.deps.metrics?.increment('etl_partials_merged_total', { dataset, outcome: 'applied' }, result.applied);
    this.deps.metrics?.increment('etl_partials_merged_total', { dataset, outcome: 'already_applied' }, result.alreadyApplied);
  }

  describe(events: readonly ParsedEvent[]): string {
    return events.length === 1 ? `partials event ${events[0]!.event.id}` : `${events.length} partials events`;
  }

  park(parsed: ParsedEvent, failure: RetriesExhaustedError): Promise<void> {
    return this.#park(parsed.incoming, parsed, failure.lastError, failure.attempts);
  }

  async #park(incoming: IncomingEvent, parsed: ParsedEvent | undefined, error: unknown, attempts: number): Promise<void> {
    const { deps } = this;
    await parkEvent(deps.deadLetters, deps.log, {
      stage: 'aggregate',
      source: deps.sourceHub,
      event: incoming,
      id: parsed?.event.id,
      dataset: parsed?.dataset.name,
      error,
      attempts,
      at: deps.clock().toISOString(),
    });
    this.outcome.deadLettered += 1;
    deps.metrics?.increment('etl_dead_letters_total', { stage: 'aggregate' });
  }
}
