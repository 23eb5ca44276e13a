/** The outbox relay: publishes partials a transform left behind (a crash, or a failed publish after commit). */
import type { EventPublisher } from '../ports/event-publisher.js';
import type { EtlStore } from '../ports/etl-store.js';
import type { Logger } from '../runtime/logger.js';
import { unixSeconds, type PipelineMetrics } from '../telemetry/pipeline-metrics.js';
import { publishOutbox } from './outbox-publisher.js';
import { AGGREGATES_DESTINATION } from './outbox-drafts.js';

/**
 * Publish outbox messages that were left unpublished. Only messages older than `minAgeMs` are
 * taken, so the relay does not race a transform that is about to publish its own; a message
 * published twice is harmless (aggregate's ledger).
 */
export async function relayOutbox(
  deps: { store: Pick<EtlStore, 'outbox'>; aggregates: EventPublisher; clock: () => Date; log: Logger; metrics?: PipelineMetrics },
  options: { minAgeMs: number; limit: number },
): Promise<number> {
  const cutoff = deps.clock().getTime() - options.minAgeMs;
  const stale = (await deps.store.outbox.listUnpublished(options.limit)).filter((message) => Date.parse(message.createdAt) <= cutoff);
  await publishOutbox(new Map([[AGGREGATES_DESTINATION, deps.aggregates]]), deps.store, stale);
  deps.metrics?.increment('etl_outbox_relayed_total', {}, stale.length);
  deps.metrics?.set('etl_last_batch_timestamp_seconds', { stage: 'relay' }, unixSeconds(deps.clock()));
  if (stale.length > 0) deps.log.info(`outbox relay: published ${stale.length} partials left behind`);
  return stale.length;
}
