/**
 * The outbox messages transform writes beside the facts: the window partials of the new facts of
 * one load, per dimension key, as events for the `aggregates` hub.
 */
import type { DatasetDeclaration, Fact } from '../datasets/dataset-declaration.js';
import { partialsFromFacts } from '../aggregates/window-aggregate.js';
import type { WindowPartial } from '../aggregates/window-partial.js';
import type { OutboxBuilder, OutboxDraft } from '../ports/etl-store.js';
import { PARTIALS_EVENT_TYPE, type PartialsEvent } from '../messages/partials-event.js';
import { aggregatesPartitionKey } from '../messages/partition-routing.js';

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
    const partitionKey = aggregatesPartitionKey(dimensionKey);
    const message = (part: number, windows: readonly WindowPartial[]): OutboxDraft => {
      const id = `${idPrefix}/${part}/${dimensionKey}`;
      const event: PartialsEvent = { type: PARTIALS_EVENT_TYPE, v: 1, id, dataset: dataset.name, dimensionKey, partials: windows };
      return { id, destination, partitionKey, body: JSON.stringify(event) };
    };
    drafts.push(...cutIntoParts(partials, message, maxBodyBytes));
  }
  return drafts;
}

/** One dimension's windows in as few messages as fit `maxBodyBytes`, whole partials each (one alone may be bigger). */
function cutIntoParts(
  partials: readonly WindowPartial[],
  message: (part: number, windows: readonly WindowPartial[]) => OutboxDraft,
  maxBodyBytes: number,
): OutboxDraft[] {
  const whole = message(0, partials);
  if (Buffer.byteLength(whole.body) <= maxBodyBytes || partials.length === 1) return [whole];
  // Envelope size with a part number as long as any this dimension can get, then whole partials.
  const envelope = Buffer.byteLength(message(partials.length, []).body);
  const drafts: OutboxDraft[] = [];
  let part: WindowPartial[] = [];
  let bytes = envelope;
  for (const partial of partials) {
    const size = Buffer.byteLength(JSON.stringify(partial)) + 1;
    if (part.length > 0 && bytes + size > maxBodyBytes) {
      drafts.push(message(drafts.length, part));
      part = [];
      bytes = envelope;
    }
    part.push(partial);
    bytes += size;
  }
  drafts.push(message(drafts.length, part));
  return drafts;
}

/** The outbox destination of partials: the `aggregates` hub (its name is a setting; this is the role). */
export const AGGREGATES_DESTINATION = 'aggregates';

/** Partials for the `aggregates` hub, summed over whatever a load applied. */
export function aggregatesOutbox(dataset: DatasetDeclaration): OutboxBuilder {
  return (newFacts, idPrefix) => outboxDraftsFor(dataset, idPrefix, newFacts, AGGREGATES_DESTINATION);
}
