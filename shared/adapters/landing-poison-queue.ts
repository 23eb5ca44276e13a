/**
 * Extract's dead letters: a `BlobCreated` message the host gave up on after 5 dequeues sits in
 * `landing-events-poison` (the Functions host's convention). Listed by the CLI, and put back on
 * `landing-events` by replay, so the file is extracted again (safe: extract is idempotent).
 */
import type { QueueServiceClient } from '@azure/storage-queue';
import { LANDING_EVENTS_QUEUE, LANDING_POISON_QUEUE } from '../config/app-settings.js';

export interface PoisonedLanding {
  readonly messageId: string;
  readonly insertedOn: string | undefined;
  /** The blob the event named, when it can be read. */
  readonly subject: string;
}

function subjectOf(messageText: string): string {
  for (const text of [messageText, Buffer.from(messageText, 'base64').toString('utf8')]) {
    try {
      const event = JSON.parse(text) as { subject?: unknown };
      if (typeof event.subject === 'string') return event.subject;
    } catch {
      // not this encoding
    }
  }
  return '(unreadable message)';
}

export async function listPoisonedLandings(queues: Pick<QueueServiceClient, 'getQueueClient'>): Promise<PoisonedLanding[]> {
  const poison = queues.getQueueClient(LANDING_POISON_QUEUE);
  if (!(await poison.exists())) return [];
  const peeked = await poison.peekMessages({ numberOfMessages: 32 });
  return peeked.peekedMessageItems.map((message) => ({
    messageId: message.messageId,
    insertedOn: message.insertedOn?.toISOString(),
    subject: subjectOf(message.messageText),
  }));
}

/** Move every poison message back to `landing-events`; returns how many were moved. */
export async function requeuePoisonedLandings(queues: Pick<QueueServiceClient, 'getQueueClient'>): Promise<number> {
  const poison = queues.getQueueClient(LANDING_POISON_QUEUE);
  const landing = queues.getQueueClient(LANDING_EVENTS_QUEUE);
  if (!(await poison.exists())) return 0;
  let moved = 0;
  for (;;) {
    const { receivedMessageItems } = await poison.receiveMessages({ numberOfMessages: 32, visibilityTimeout: 60 });
    if (receivedMessageItems.length === 0) return moved;
    for (const message of receivedMessageItems) {
      await landing.sendMessage(message.messageText); // still encoded as the host wrote it
      await poison.deleteMessage(message.messageId, message.popReceipt);
      moved += 1;
    }
  }
}
