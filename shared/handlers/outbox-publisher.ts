/** Publishing outbox messages to their hub and marking them published, for transform and the relay. */
import { EtlError } from '../errors/etl-error.js';
import type { EventPublisher } from '../ports/event-publisher.js';
import type { EtlStore, OutboxMessage } from '../ports/etl-store.js';

/** The publisher of each outbox destination (`OutboxDraft.destination`), e.g. `aggregates` → the aggregates hub's. */
export type OutboxPublishers = ReadonlyMap<string, EventPublisher>;

/**
 * Publish outbox messages, each to the publisher of its destination, and mark them published.
 * Unpublished ones stay for the relay: a destination with no publisher here, or a failed publish,
 * does not hold back the other destinations; the first error is then thrown.
 */
export async function publishOutbox(
  publishers: OutboxPublishers,
  store: Pick<EtlStore, 'outbox'>,
  messages: readonly OutboxMessage[],
): Promise<void> {
  const byDestination = new Map<string, OutboxMessage[]>();
  for (const message of messages) {
    const list = byDestination.get(message.destination);
    if (list) list.push(message);
    else byDestination.set(message.destination, [message]);
  }
  let firstError: unknown;
  for (const [destination, group] of byDestination) {
    try {
      const publisher = publishers.get(destination);
      if (!publisher)
        throw new EtlError(
          'INTERNAL',
          `outbox message ${group[0]!.id} is for '${destination}', which has no publisher here; it stays in the outbox`,
        );
      await publishTo(publisher, store, group);
    } catch (error) {
      firstError ??= error;
    }
  }
  if (firstError !== undefined) throw firstError;
}

/**
 * The body goes out as the stored JSON bytes: what the SDK would send for the parsed object, without
 * parsing and serializing it again. If the publish fails, the messages go again one by one, so a
 * message the hub refuses does not hold back the others; the first error is then thrown.
 */
async function publishTo(publisher: EventPublisher, store: Pick<EtlStore, 'outbox'>, messages: readonly OutboxMessage[]): Promise<void> {
  const toEvent = (message: OutboxMessage) => ({
    body: Buffer.from(message.body, 'utf8'),
    partitionKey: message.partitionKey,
    properties: { outboxId: message.id },
  });
  try {
    await publisher.publish(messages.map(toEvent));
  } catch (error) {
    if (messages.length === 1) throw error;
    const published: string[] = [];
    let firstError: unknown;
    for (const message of messages) {
      try {
        await publisher.publish([toEvent(message)]);
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
