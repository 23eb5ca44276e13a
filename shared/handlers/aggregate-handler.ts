/**
 * Aggregate: partials events from the `aggregates` hub → merged 1-minute window rows, exactly
 * once per partial (the store writes a ledger row in the same transaction as the merge).
 *
 * The whole batch is merged in one transaction per dataset. If that keeps failing, each event is
 * retried on its own, so that one poison event is dead-lettered and the rest are still applied.
 */
import type { DatasetDeclaration } from '../datasets/dataset-declaration.js';
import { mergeWindowPartials } from '../aggregates/window-aggregate.js';
import type { WindowPartial } from '../aggregates/window-partial.js';
import { EtlError } from '../errors/etl-error.js';
import type { WindowStore } from '../ports/etl-store.js';
import { parsePartialsEvent, partialIdOf, type PartialsEvent } from '../messages/partials-event.js';
import { RetriesExhaustedError, withRetry } from '../runtime/retry.js';
import type { IncomingEvent } from './incoming-event.js';
import type { EventHandlerDependencies } from './event-handler-dependencies.js';
import { parkEvent } from './dead-lettering.js';
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

function ledgerEntries(events: readonly ParsedEvent[]): { partialId: string; partial: WindowPartial }[] {
  return events.flatMap(({ event }) => event.partials.map((partial) => ({ partialId: partialIdOf(event.id, partial.windowStart), partial })));
}

export async function aggregateBatch(deps: AggregateDependencies, events: readonly IncomingEvent[]): Promise<AggregateBatchOutcome> {
  const elapsedSeconds = startStopwatch();
  const metrics = deps.metrics;
  let applied = 0;
  let alreadyApplied = 0;
  let deadLettered = 0;
  const at = () => deps.clock().toISOString();
  const countMerged = (dataset: string, result: { applied: number; alreadyApplied: number }) => {
    applied += result.applied;
    alreadyApplied += result.alreadyApplied;
    metrics?.increment('etl_partials_merged_total', { dataset, outcome: 'applied' }, result.applied);
    metrics?.increment('etl_partials_merged_total', { dataset, outcome: 'already_applied' }, result.alreadyApplied);
  };
  const countDeadLetter = () => {
    deadLettered += 1;
    metrics?.increment('etl_dead_letters_total', { stage: 'aggregate' });
  };
  const byDataset = new Map<string, ParsedEvent[]>();

  for (const incoming of events) {
    try {
      const event = parsePartialsEvent(incoming.body);
      const dataset = deps.datasets.get(event.dataset);
      if (!dataset) throw new EtlError('MALFORMED_EVENT', `partials event names unknown dataset '${event.dataset}'`);
      const list = byDataset.get(dataset.name) ?? [];
      list.push({ incoming, event, dataset });
      byDataset.set(dataset.name, list);
    } catch (error) {
      await parkEvent(deps.deadLetters, deps.log, { stage: 'aggregate', source: deps.sourceHub, event: incoming, error, attempts: 1, at: at() });
      countDeadLetter();
    }
  }

  const merge = async (dataset: DatasetDeclaration, group: readonly ParsedEvent[], maxAttempts: number) =>
    withRetry(() => deps.windows.mergePartials(dataset, ledgerEntries(group), mergeWindowPartials), {
      ...deps.retry,
      maxAttempts,
      onRetry: (error, attempt, delay) => {
        metrics?.increment('etl_retry_attempts_total', { stage: 'aggregate' });
        deps.log.warn(`aggregate: merge attempt ${attempt} failed (${(error as Error).message}); retrying in ${delay} ms`);
      },
    });

  for (const group of byDataset.values()) {
    const dataset = group[0]!.dataset;
    try {
      const result = await merge(dataset, group, group.length > 1 ? Math.max(1, Math.ceil(deps.retry.maxAttempts / 2)) : deps.retry.maxAttempts);
      countMerged(dataset.name, result);
      continue;
    } catch (error) {
      if (group.length === 1) {
        const cause = error instanceof RetriesExhaustedError ? error.lastError : error;
        const attempts = error instanceof RetriesExhaustedError ? error.attempts : 1;
        await parkEvent(deps.deadLetters, deps.log, { stage: 'aggregate', source: deps.sourceHub, event: group[0]!.incoming, id: group[0]!.event.id, dataset: dataset.name, error: cause, attempts, at: at() });
        countDeadLetter();
        continue;
      }
      deps.log.warn(`aggregate: merging ${group.length} events together failed; retrying them one by one`);
    }
    for (const parsed of group) {
      try {
        const result = await merge(dataset, [parsed], deps.retry.maxAttempts);
        countMerged(dataset.name, result);
      } catch (error) {
        const cause = error instanceof RetriesExhaustedError ? error.lastError : error;
        const attempts = error instanceof RetriesExhaustedError ? error.attempts : 1;
        await parkEvent(deps.deadLetters, deps.log, { stage: 'aggregate', source: deps.sourceHub, event: parsed.incoming, id: parsed.event.id, dataset: dataset.name, error: cause, attempts, at: at() });
        countDeadLetter();
      }
    }
  }
  metrics?.observe('etl_aggregate_batch_seconds', {}, elapsedSeconds());
  metrics?.observe('etl_batch_events', { stage: 'aggregate' }, events.length);
  metrics?.set('etl_last_batch_timestamp_seconds', { stage: 'aggregate' }, unixSeconds(deps.clock()));
  return { applied, alreadyApplied, deadLettered };
}
