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
import { partialsFromFacts } from '../aggregates/window-aggregate.js';
import type { WindowPartial } from '../aggregates/window-partial.js';
import { EtlError } from '../errors/etl-error.js';
import type { EventPublisher } from '../ports/event-publisher.js';
import type { ChunkCounts, ChunkLoadInput, EtlStore, OutboxBuilder, OutboxDraft, OutboxMessage } from '../ports/etl-store.js';
import { chunkIdOf, parseChunkEvent, type ChunkEvent } from '../messages/chunk-event.js';
import { PARTIALS_EVENT_TYPE, type PartialsEvent } from '../messages/partials-event.js';
import { RetriesExhaustedError, withRetry } from '../runtime/retry.js';
import type { Logger } from '../runtime/logger.js';
import type { IncomingEvent } from './incoming-event.js';
import type { EventHandlerDependencies } from './event-handler-dependencies.js';
import { parkEvent } from './dead-lettering.js';
import { startStopwatch, unixSeconds, type PipelineMetrics } from '../telemetry/pipeline-metrics.js';

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

/** Partition key used on the aggregates hub for partials with an empty dimension key. */
const EMPTY_DIMENSION_PARTITION_KEY = '(none)';

/**
 * Most bytes of one outbox message body. Partials are summed over a whole transaction (up to
 * `ETL_TRANSFORM_TRANSACTION_ROWS` rows), so one dimension's windows over several days of event
 * time would pass the Event Hubs limit of 1 MB per event: such a dimension is cut into parts.
 */
export const MAX_OUTBOX_BODY_BYTES = 512 * 1024;

/**
 * Outbox messages of the new facts of one load (a chunk, or several chunks in one transaction): per
 * dimension key, its windows in one message, or in several when they would not fit in
 * `maxBodyBytes`. Ids are `<idPrefix>/<part>/<dimensionKey>`: the prefix is a chunk id
 * (`<fileId>/<chunkIndex>`, the file id is hex), so an id splits one way only, whatever the
 * dimension key holds. The same facts give the same messages, so a retried load writes the same ids.
 */
export function outboxDraftsFor(
  dataset: DatasetDeclaration,
  idPrefix: string,
  newFacts: readonly Fact[],
  destination: string,
  maxBodyBytes = MAX_OUTBOX_BODY_BYTES,
): OutboxDraft[] {
  const byDimension = new Map<string, WindowPartial[]>();
  for (const partial of partialsFromFacts(dataset, newFacts)) {
    const list = byDimension.get(partial.dimensionKey);
    if (list) list.push(partial);
    else byDimension.set(partial.dimensionKey, [partial]);
  }
  const drafts: OutboxDraft[] = [];
  for (const [dimensionKey, partials] of byDimension) {
    const partitionKey = dimensionKey === '' ? EMPTY_DIMENSION_PARTITION_KEY : dimensionKey;
    const message = (part: number, windows: WindowPartial[]): OutboxDraft => {
      const id = `${idPrefix}/${part}/${dimensionKey}`;
      const event: PartialsEvent = { type: PARTIALS_EVENT_TYPE, v: 1, id, dataset: dataset.name, dimensionKey, partials: windows };
      return { id, destination, partitionKey, body: JSON.stringify(event) };
    };
    const whole = message(0, partials);
    if (Buffer.byteLength(whole.body) <= maxBodyBytes || partials.length === 1) {
      drafts.push(whole);
      continue;
    }
    // Envelope size with a part number as long as any this dimension can get, then whole partials.
    const envelope = Buffer.byteLength(message(partials.length, []).body);
    let partNumber = 0;
    let part: WindowPartial[] = [];
    let bytes = envelope;
    for (const partial of partials) {
      const size = Buffer.byteLength(JSON.stringify(partial)) + 1;
      if (part.length > 0 && bytes + size > maxBodyBytes) {
        drafts.push(message(partNumber++, part));
        part = [];
        bytes = envelope;
      }
      part.push(partial);
      bytes += size;
    }
    drafts.push(message(partNumber, part));
  }
  return drafts;
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

/**
 * Publish outbox messages and mark them published. Unpublished ones stay for the relay. The body
 * goes out as the stored JSON bytes: what the SDK would send for the parsed object, without parsing
 * and serializing it again. If the publish fails, the messages go again one by one, so a message
 * the hub refuses does not hold back the others; the first error is then thrown.
 */
export async function publishOutbox(publisher: EventPublisher, store: Pick<EtlStore, 'outbox'>, messages: readonly OutboxMessage[], signal?: AbortSignal): Promise<void> {
  if (messages.length === 0) return;
  const toEvent = (message: OutboxMessage) => ({ body: Buffer.from(message.body, 'utf8'), partitionKey: message.partitionKey, properties: { outboxId: message.id } });
  try {
    await publisher.publish(messages.map(toEvent), signal);
  } catch (error) {
    if (messages.length === 1 || signal?.aborted) throw error;
    const published: string[] = [];
    let firstError: unknown;
    for (const message of messages) {
      try {
        await publisher.publish([toEvent(message)], signal);
        published.push(message.id);
      } catch (single) {
        firstError ??= single;
      }
    }
    if (published.length > 0) await store.outbox.markPublished(published);
    if (firstError !== undefined) throw firstError;
    return;
  }
  await store.outbox.markPublished(messages.map((message) => message.id));
}

/** A chunk event parsed and typed, ready to load. */
interface PreparedChunk {
  readonly incoming: IncomingEvent;
  readonly event: ChunkEvent;
  readonly input: ChunkLoadInput;
}

/** Partials for the `aggregates` hub, summed over whatever a load applied. */
function aggregatesOutbox(dataset: DatasetDeclaration): OutboxBuilder {
  return (newFacts, idPrefix) => outboxDraftsFor(dataset, idPrefix, newFacts, 'aggregates');
}

/**
 * Splits a batch's chunks, in order, into transactions: each holds one dataset (its partials are
 * summed into one set of windows) and at most `maxRows` rows unless a single chunk is bigger. A run
 * of one dataset is cut into transactions of about equal size: 109,000 rows with a limit of 100,000
 * load as two of ~54,500, not 100,000 and a 9,000-row remainder, because a commit costs about the
 * same whatever its size (random keys dirty index pages all over). Returns indexes into `chunks`.
 */
export function planTransactions(chunks: readonly Pick<ChunkLoadInput, 'dataset' | 'facts'>[], maxRows: number): number[][] {
  const groups: number[][] = [];
  for (let start = 0; start < chunks.length; ) {
    const dataset = chunks[start]!.dataset;
    let end = start;
    let runRows = 0;
    while (end < chunks.length && chunks[end]!.dataset === dataset) runRows += chunks[end++]!.facts.length;
    const target = runRows / Math.max(1, Math.ceil(runRows / maxRows));
    let group: number[] = [];
    let groupRows = 0;
    for (let index = start; index < end; index += 1) {
      const rows = chunks[index]!.facts.length;
      if (group.length > 0 && (groupRows >= target || groupRows + rows > maxRows)) {
        groups.push(group);
        group = [];
        groupRows = 0;
      }
      group.push(index);
      groupRows += rows;
    }
    if (group.length > 0) groups.push(group);
    start = end;
  }
  return groups;
}

/** Most rows loaded in one SQL transaction when the transaction rows setting is absent. */
export const DEFAULT_TRANSACTION_ROWS = 100_000;

export async function transformBatch(deps: TransformDependencies, events: readonly IncomingEvent[], signal?: AbortSignal): Promise<TransformBatchOutcome> {
  const elapsedSeconds = startStopwatch();
  const metrics = deps.metrics;
  const outcome = { chunks: 0, alreadyApplied: 0, loaded: 0, duplicates: 0, deadLettered: 0 };
  const toPublish: OutboxMessage[] = [];
  const columnCount = (name: string) => deps.datasets.get(name)?.columns.length;
  const maxRows = deps.transactionRows ?? DEFAULT_TRANSACTION_ROWS;

  const park = async (incoming: IncomingEvent, event: ChunkEvent | undefined, error: unknown, attempts: number): Promise<void> => {
    if (signal?.aborted) throw error;
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
          signal,
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
        if (signal?.aborted) throw error;
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
    await publishOutbox(deps.aggregates, deps.store, toPublish, signal);
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

/**
 * Publish outbox messages that were left unpublished (a crash or a failed publish after commit).
 * Only messages older than `minAgeMs` are taken, so the relay does not race a transform that is
 * about to publish its own; a message published twice is harmless (aggregate's ledger).
 */
export async function relayOutbox(
  deps: { store: Pick<EtlStore, 'outbox'>; aggregates: EventPublisher; clock: () => Date; log: Logger; metrics?: PipelineMetrics },
  options: { minAgeMs: number; limit: number },
  signal?: AbortSignal,
): Promise<number> {
  const cutoff = deps.clock().getTime() - options.minAgeMs;
  const stale = (await deps.store.outbox.listUnpublished(options.limit)).filter((message) => Date.parse(message.createdAt) <= cutoff);
  await publishOutbox(deps.aggregates, deps.store, stale, signal);
  deps.metrics?.increment('etl_outbox_relayed_total', {}, stale.length);
  deps.metrics?.set('etl_last_batch_timestamp_seconds', { stage: 'relay' }, unixSeconds(deps.clock()));
  if (stale.length > 0) deps.log.info(`outbox relay: published ${stale.length} partials left behind`);
  return stale.length;
}
