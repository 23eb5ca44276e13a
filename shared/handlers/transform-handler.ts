/**
 * Transform: chunk events from the `records` hub → facts in SQL, plus partial aggregates of the
 * rows that were new (outbox, same transaction), then published to the `aggregates` hub.
 *
 * The Functions host checkpoints after every batch, failed or not, so this handler returns only
 * when every event of the batch is loaded or dead-lettered: transient failures are retried with
 * backoff; after the last attempt the event goes to the dead-letter store with its error.
 */
import type { DatasetDeclaration, Fact } from '../datasets/dataset-declaration.js';
import { identityBinding } from '../validation/header-binding.js';
import { validateRow } from '../validation/validate-row.js';
import { toFact } from '../transform/to-fact.js';
import { EtlError } from '../errors/etl-error.js';
import type { EventPublisher } from '../ports/event-publisher.js';
import type { ChunkCounts, ChunkLoadInput, EtlStore, OutboxMessage } from '../ports/etl-store.js';
import { chunkIdOf, parseChunkEvent, type ChunkEvent } from '../messages/chunk-event.js';
import { RetriesExhaustedError, withRetry } from '../runtime/retry.js';
import type { IncomingEvent } from './incoming-event.js';
import type { EventHandlerDependencies } from './event-handler-dependencies.js';
import { parkEvent } from './dead-lettering.js';
import { aggregatesOutbox } from './outbox-drafts.js';
import { publishOutbox } from './outbox-publisher.js';
import { DEFAULT_TRANSACTION_ROWS, planTransactions } from './transaction-plan.js';
import { startStopwatch, unixSeconds } from '../telemetry/pipeline-metrics.js';

export interface TransformDependencies extends EventHandlerDependencies {
  readonly store: Pick<EtlStore, 'facts' | 'outbox' | 'manifest'>;
  readonly aggregates: EventPublisher;
  /** Most rows loaded in one SQL transaction (whole chunks; a bigger chunk goes alone). Default 100,000. */
  readonly transactionRows?: number;
}

export interface TransformBatchOutcome {
  readonly chunks: number;
  readonly alreadyApplied: number;
  readonly loaded: number;
  readonly duplicates: number;
  readonly deadLettered: number;
}

/** Type every row of a chunk and derive its fact. A row that no longer validates is a poison chunk. */
export function factsOfChunk(dataset: DatasetDeclaration, event: ChunkEvent): Fact[] {
  const binding = identityBinding(dataset);
  const facts: Fact[] = new Array(event.rows.length);
  for (let index = 0; index < event.rows.length; index += 1) {
    const validation = validateRow(dataset, binding, event.rows[index]!);
    if (!validation.ok) {
      throw new EtlError('MALFORMED_EVENT', `row ${event.rowNumbers[index]} of file ${event.fileId} does not type: ${validation.reason}`);
    }
    facts[index] = toFact(dataset, validation.row, event.fileId, event.rowNumbers[index]!);
  }
  return facts;
}

/** A chunk event parsed and typed, ready to load. */
interface PreparedChunk {
  readonly incoming: IncomingEvent;
  readonly event: ChunkEvent;
  readonly input: ChunkLoadInput;
}

export async function transformBatch(deps: TransformDependencies, events: readonly IncomingEvent[]): Promise<TransformBatchOutcome> {
  const elapsedSeconds = startStopwatch();
  const metrics = deps.metrics;
  const outcome = { chunks: 0, alreadyApplied: 0, loaded: 0, duplicates: 0, deadLettered: 0 };
  const toPublish: OutboxMessage[] = [];
  const columnCount = (name: string) => deps.datasets.get(name)?.columns.length;
  const maxRows = deps.transactionRows ?? DEFAULT_TRANSACTION_ROWS;

  const park = async (incoming: IncomingEvent, event: ChunkEvent | undefined, error: unknown, attempts: number): Promise<void> => {
    const cause = error instanceof RetriesExhaustedError ? error.lastError : error;
    await parkEvent(deps.deadLetters, deps.log, {
      stage: 'transform',
      source: deps.sourceHub,
      event: incoming,
      id: event ? chunkIdOf(event.fileId, event.chunkIndex) : undefined,
      dataset: event?.dataset,
      fileId: event?.fileId,
      error: cause,
      attempts,
      at: deps.clock().toISOString(),
    });
    outcome.deadLettered += 1;
    metrics?.increment('etl_dead_letters_total', { stage: 'transform' });
    if (event) {
      // Best effort: the manifest shows the file is waiting on a dead letter (the database may be what failed).
      await deps.store.manifest.addDeadLetteredChunks(event.fileId, 1, deps.clock().toISOString()).catch((manifestError: unknown) =>
        deps.log.warn(`transform: could not count the dead letter on file ${event.fileId}: ${(manifestError as Error).message}`),
      );
    }
  };

  const record = (input: ChunkLoadInput, result: ChunkCounts): void => {
    const dataset = input.dataset.name;
    outcome.chunks += 1;
    if (result.alreadyApplied) outcome.alreadyApplied += 1;
    outcome.loaded += result.loaded;
    outcome.duplicates += result.duplicates;
    metrics?.increment('etl_chunk_events_processed_total', { dataset, outcome: result.alreadyApplied ? 'already_applied' : 'loaded' });
    metrics?.increment('etl_facts_loaded_total', { dataset }, result.loaded);
    metrics?.increment('etl_duplicate_rows_total', { dataset }, result.duplicates);
  };

  /** One chunk in its own transaction, retried with backoff, dead-lettered after the last attempt. */
  const loadAlone = async (chunk: PreparedChunk): Promise<void> => {
    let attempts = 1;
    try {
      const result = await withRetry(
        (attempt) => {
          attempts = attempt;
          return deps.store.facts.loadChunk(chunk.input, aggregatesOutbox(chunk.input.dataset));
        },
        {
          ...deps.retry,
          onRetry: (error, attempt, delay) => {
            metrics?.increment('etl_retry_attempts_total', { stage: 'transform' });
            deps.log.warn(`transform: chunk ${chunk.input.chunkId} attempt ${attempt} failed (${(error as Error).message}); retrying in ${delay} ms`);
          },
        },
      );
      record(chunk.input, result);
      toPublish.push(...result.outbox);
    } catch (error) {
      await park(chunk.incoming, chunk.event, error, attempts);
    }
  };

  /**
   * Several chunks of one dataset in one transaction, with one set of partials for all of them: one
   * attempt. If it fails, each chunk goes on its own, so a chunk that cannot load is retried and
   * dead-lettered alone and the others still load.
   */
  const loadGroup = async (group: readonly PreparedChunk[]): Promise<void> => {
    if (group.length > 1) {
      try {
        const result = await deps.store.facts.loadChunks(
          group.map((chunk) => chunk.input),
          aggregatesOutbox(group[0]!.input.dataset),
        );
        result.chunks.forEach((counts, index) => record(group[index]!.input, counts));
        toPublish.push(...result.outbox);
        return;
      } catch (error) {
        metrics?.increment('etl_retry_attempts_total', { stage: 'transform' });
        deps.log.warn(`transform: ${group.length} chunks in one transaction failed (${(error as Error).message}); loading them one by one`);
      }
    }
    for (const chunk of group) await loadAlone(chunk);
  };

  const prepared: PreparedChunk[] = [];
  for (const incoming of events) {
    let event: ChunkEvent | undefined;
    try {
      event = parseChunkEvent(incoming.body, columnCount);
      const dataset = deps.datasets.get(event.dataset)!;
      const chunkId = chunkIdOf(event.fileId, event.chunkIndex);
      prepared.push({ incoming, event, input: { dataset, fileId: event.fileId, chunkId, facts: factsOfChunk(dataset, event) } });
    } catch (error) {
      await park(incoming, event, error, 1);
    }
  }
  for (const group of planTransactions(prepared.map((chunk) => chunk.input), maxRows)) {
    await loadGroup(group.map((index) => prepared[index]!));
  }

  // Facts are committed; the partials are safe in the outbox. A failed publish leaves them for the relay.
  try {
    await publishOutbox(deps.aggregates, deps.store, toPublish);
    metrics?.increment('etl_outbox_messages_published_total', {}, toPublish.length);
  } catch (error) {
    metrics?.increment('etl_outbox_publish_failures_total', {}, toPublish.length);
    deps.log.warn(`transform: publishing ${toPublish.length} partials failed; the outbox relay will retry: ${(error as Error).message}`);
  }
  metrics?.observe('etl_transform_batch_seconds', {}, elapsedSeconds());
  metrics?.observe('etl_batch_events', { stage: 'transform' }, events.length);
  metrics?.set('etl_last_batch_timestamp_seconds', { stage: 'transform' }, unixSeconds(deps.clock()));
  return outcome;
}
