/**
 * Transform: chunk events from the `records` hub → facts in SQL, plus partial aggregates of the
 * rows that were new (outbox, same transaction), then published to the `aggregates` hub.
 *
 * The Functions host checkpoints after every batch, failed or not, so this handler returns only
 * when every event of the batch is loaded or dead-lettered: chunks load in transactions of several
 * chunks, a failed transaction's chunks load one by one, transient failures are retried on the
 * invocation's budget, and a chunk that still fails goes to the dead-letter store with its error.
 */
import type { DatasetDeclaration, Fact } from '../datasets/dataset-declaration.js';
import { identityBinding } from '../validation/header-binding.js';
import { validateRow } from '../validation/validate-row.js';
import { toFact } from '../transform/to-fact.js';
import { EtlError } from '../errors/etl-error.js';
import type { EventPublisher } from '../ports/event-publisher.js';
import type { ChunkCounts, ChunkLoadInput, ChunksLoadResult, EtlStore, OutboxMessage } from '../ports/etl-store.js';
import { checkChunkRows, chunkIdOf, parseChunkEnvelope, type ChunkEvent } from '../messages/chunk-event.js';
import type { RetriesExhaustedError, RetryBudget } from '../runtime/retry.js';
import type { IncomingEvent } from './incoming-event.js';
import { budgetOf, type BatchOptions, type EventHandlerDependencies } from './event-handler-dependencies.js';
import { parkEvent } from './dead-lettering.js';
import { writeGroupsOrEach, type GroupSteps } from './group-or-each.js';
import { AGGREGATES_DESTINATION, aggregatesOutbox } from './outbox-drafts.js';
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

/** What names a chunk and its file, for parking it. */
type ChunkIdentity = Pick<ChunkEvent, 'dataset' | 'fileId' | 'chunkIndex'>;

/** A chunk event parsed and typed, ready to load. */
interface PreparedChunk {
  readonly incoming: IncomingEvent;
  readonly event: ChunkEvent;
  readonly input: ChunkLoadInput;
}

export async function transformBatch(
  deps: TransformDependencies,
  events: readonly IncomingEvent[],
  options: BatchOptions = {},
): Promise<TransformBatchOutcome> {
  const elapsedSeconds = startStopwatch();
  const budget = budgetOf(deps, options);
  const batch = new TransformRun(deps, budget);
  const prepared = await batch.prepare(events);
  const groups = planTransactions(
    prepared.map((chunk) => chunk.input),
    deps.transactionRows ?? DEFAULT_TRANSACTION_ROWS,
  );
  await writeGroupsOrEach(
    groups.map((group) => group.map((index) => prepared[index]!)),
    batch,
    {
      stage: 'transform',
      budget,
      log: deps.log,
      onRetry: () => deps.metrics?.increment('etl_retry_attempts_total', { stage: 'transform' }),
    },
  );
  await batch.publish();
  deps.metrics?.observe('etl_transform_batch_seconds', {}, elapsedSeconds());
  deps.metrics?.observe('etl_batch_events', { stage: 'transform' }, events.length);
  deps.metrics?.set('etl_last_batch_timestamp_seconds', { stage: 'transform' }, unixSeconds(deps.clock()));
  return batch.outcome;
}

/** One batch: its counts, the partials to publish, and how its chunks load and park. */
class TransformRun implements GroupSteps<PreparedChunk, ChunksLoadResult> {
  readonly outcome = { chunks: 0, alreadyApplied: 0, loaded: 0, duplicates: 0, deadLettered: 0 };
  readonly #toPublish: OutboxMessage[] = [];

  constructor(
    private readonly deps: TransformDependencies,
    private readonly budget: RetryBudget,
  ) {}

  /**
   * Parses and types each event; one that does not, or that was cut against another version of its
   * dataset, is parked at once (retrying cannot help).
   */
  async prepare(events: readonly IncomingEvent[]): Promise<PreparedChunk[]> {
    const declared = (name: string) => {
      const dataset = this.deps.datasets.get(name);
      return dataset && { columnCount: dataset.columns.length, version: dataset.version };
    };
    const prepared: PreparedChunk[] = [];
    for (const incoming of events) {
      let identity: ChunkIdentity | undefined;
      try {
        // The envelope first, so that a chunk refused for its rows or its version is parked under its own id.
        const envelope = parseChunkEnvelope(incoming.body);
        identity = envelope;
        const event = checkChunkRows(envelope, declared);
        const dataset = this.deps.datasets.get(event.dataset)!;
        const input = {
          dataset,
          fileId: event.fileId,
          chunkId: chunkIdOf(event.fileId, event.chunkIndex),
          facts: factsOfChunk(dataset, event),
        };
        prepared.push({ incoming, event, input });
      } catch (error) {
        await this.#park(incoming, identity, error, 1);
      }
    }
    return prepared;
  }

  write(chunks: readonly PreparedChunk[]): Promise<ChunksLoadResult> {
    return this.deps.store.facts.loadChunks(
      chunks.map((chunk) => chunk.input),
      aggregatesOutbox(chunks[0]!.input.dataset),
    );
  }

  written(chunks: readonly PreparedChunk[], result: ChunksLoadResult): void {
    result.chunks.forEach((counts, index) => this.#record(chunks[index]!.input, counts));
    this.#toPublish.push(...result.outbox);
  }

  describe(chunks: readonly PreparedChunk[]): string {
    return chunks.length === 1 ? `chunk ${chunks[0]!.input.chunkId}` : `${chunks.length} chunks`;
  }

  park(chunk: PreparedChunk, failure: RetriesExhaustedError): Promise<void> {
    return this.#park(chunk.incoming, chunk.event, failure.lastError, failure.attempts);
  }

  /**
   * Facts are committed and the partials safe in the outbox: one attempt to publish them, on the
   * invocation's budget; a failed publish leaves them for the relay.
   */
  async publish(): Promise<void> {
    const messages = this.#toPublish;
    if (messages.length === 0) return;
    try {
      await this.budget.once(() => publishOutbox(new Map([[AGGREGATES_DESTINATION, this.deps.aggregates]]), this.deps.store, messages));
      this.deps.metrics?.increment('etl_outbox_messages_published_total', {}, messages.length);
    } catch (error) {
      this.deps.metrics?.increment('etl_outbox_publish_failures_total', {}, messages.length);
      this.deps.log.warn(
        `transform: publishing ${messages.length} partials failed; the outbox relay will retry: ${(error as Error).message}`,
      );
    }
  }

  #record(input: ChunkLoadInput, result: ChunkCounts): void {
    const dataset = input.dataset.name;
    this.outcome.chunks += 1;
    if (result.alreadyApplied) this.outcome.alreadyApplied += 1;
    this.outcome.loaded += result.loaded;
    this.outcome.duplicates += result.duplicates;
    this.deps.metrics?.increment('etl_chunk_events_processed_total', {
      dataset,
      outcome: result.alreadyApplied ? 'already_applied' : 'loaded',
    });
    this.deps.metrics?.increment('etl_facts_loaded_total', { dataset }, result.loaded);
    this.deps.metrics?.increment('etl_duplicate_rows_total', { dataset }, result.duplicates);
  }

  async #park(incoming: IncomingEvent, event: ChunkIdentity | undefined, error: unknown, attempts: number): Promise<void> {
    const { deps } = this;
    const parked = await parkEvent(deps.deadLetters, deps.log, {
      stage: 'transform',
      source: deps.sourceHub,
      event: incoming,
      id: event ? chunkIdOf(event.fileId, event.chunkIndex) : undefined,
      dataset: event?.dataset,
      fileId: event?.fileId,
      error,
      attempts,
      at: deps.clock().toISOString(),
    });
    this.outcome.deadLettered += 1;
    deps.metrics?.increment('etl_dead_letters_total', { stage: 'transform' });
    // A redelivered event that is waiting already is counted on its file once.
    if (!event || !parked.added) return;
    // Best effort: the manifest shows the file is waiting on a dead letter (the database may be what failed).
    const at = deps.clock().toISOString();
    await this.budget
      .once(() => deps.store.manifest.addDeadLetteredChunks(event.fileId, 1, at))
      .catch((manifestError: unknown) =>
        deps.log.warn(`transform: could not count the dead letter on file ${event.fileId}: ${(manifestError as Error).message}`),
      );
  }
}
