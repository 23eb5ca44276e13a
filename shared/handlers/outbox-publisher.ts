/** Publishing outbox messages to their hub and marking them published, for transform and the relay. */
import type { EventPublisher } from '../ports/event-publisher.js';
import type { EtlStore, OutboxMessage } from '../ports/etl-store.js';

/**
 * Publish outbox messages and mark them published. Unpublished ones stay for the relay. The body
 * goes out as the stored JSON bytes: what the SDK would send for the parsed object, without parsing
 * and serializing it again. If the publish fails, the messages go again one by one, so a message
 * the hub refuses does not hold back the others; the first error is then thrown.
 */
export async function publishOutbox(publisher: EventPublisher, store: Pick<EtlStore, 'outbox'>, messages: readonly OutboxMessage[]): Promise<void> {
  if (messages.length === 0) return;
  const toEvent = (message: OutboxMessage) => ({ body: Buffer.from(message.body, 'utf8'), partitionKey: message.partitionKey, properties: { outboxId: message.id } });
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
