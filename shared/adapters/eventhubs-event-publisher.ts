/**
 * `EventPublisher` on the official Event Hubs SDK. Events bound for the same partition (id or key)
 * are packed into as few `EventDataBatch`es as the service's size limit allows. A body given as
 * bytes (`Uint8Array`) goes out as those bytes; the SDK sends an object body as its JSON bytes, so
 * a body of JSON bytes reaches consumers as the same value (extract sends chunks that way).
 */
import type { EventData, EventHubProducerClient } from '@azure/event-hubs';
import { EtlError } from '../errors/etl-error.js';
import type { EventPublisher, OutgoingEvent } from '../ports/event-publisher.js';

/** The slice of the producer client this adapter needs. */
export type EventHubProducerLike = Pick<EventHubProducerClient, 'createBatch' | 'sendBatch' | 'getPartitionIds' | 'close'>;

/**
 * How long one send may wait for the hub's answer before it is sent again, and how often. The SDK
 * leaves a send that was in flight when its connection dropped waiting for the try timeout (60 s at
 * the least) although it reconnects at once: sent again, it goes out on the new link. A send that
 * did arrive is then delivered twice, which every consumer of the hubs handles (docs/functions-host.md).
 */
export const SEND_ATTEMPT = { timeoutMs: 20_000, attempts: 3 };

export class EventHubsEventPublisher implements EventPublisher {
  private partitionIdsPromise: Promise<readonly string[]> | undefined;

  constructor(
    private readonly producer: EventHubProducerLike,
    private readonly hub: string,
    private readonly sendAttempt: { readonly timeoutMs: number; readonly attempts: number } = SEND_ATTEMPT,
  ) {}

  partitionIds(): Promise<readonly string[]> {
    this.partitionIdsPromise ??= this.producer.getPartitionIds().catch((error: unknown) => {
      this.partitionIdsPromise = undefined;
      throw error;
    });
    return this.partitionIdsPromise;
  }

  async publish(events: readonly OutgoingEvent[]): Promise<void> {
    const groups = new Map<string, { partitionId?: string; partitionKey?: string; events: EventData[] }>();
    for (const event of events) {
      const route =
        event.partitionId !== undefined
          ? `id:${event.partitionId}`
          : event.partitionKey !== undefined
            ? `key:${event.partitionKey}`
            : 'any';
      let group = groups.get(route);
      if (!group) {
        group = {
          partitionId: event.partitionId,
          partitionKey: event.partitionId === undefined ? event.partitionKey : undefined,
          events: [],
        };
        groups.set(route, group);
      }
      group.events.push({ body: event.body, properties: event.properties ? { ...event.properties } : undefined });
    }
    try {
      for (const group of groups.values()) await this.sendGroup(group);
    } catch (error) {
      if (error instanceof EtlError) throw error;
      throw new EtlError('PUBLISH_FAILED', `publishing to event hub '${this.hub}' failed: ${(error as Error).message}`, { cause: error });
    }
  }

  private async sendGroup(group: { partitionId?: string; partitionKey?: string; events: EventData[] }): Promise<void> {
    const options = { partitionId: group.partitionId, partitionKey: group.partitionKey };
    let batch = await this.producer.createBatch(options);
    for (const event of group.events) {
      if (batch.tryAdd(event)) continue;
      if (batch.count === 0) {
        throw new EtlError(
          'PUBLISH_FAILED',
          `an event for hub '${this.hub}' is larger than the service's event size limit (${batch.maxSizeInBytes} bytes)`,
        );
      }
      await this.send(batch);
      batch = await this.producer.createBatch(options);
      if (!batch.tryAdd(event)) {
        throw new EtlError(
          'PUBLISH_FAILED',
          `an event for hub '${this.hub}' is larger than the service's event size limit (${batch.maxSizeInBytes} bytes)`,
        );
      }
    }
    if (batch.count > 0) await this.send(batch);
  }

  /** One batch, sent again when the hub did not answer within the attempt's time. */
  private async send(batch: Awaited<ReturnType<EventHubProducerLike['createBatch']>>): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      const deadline = AbortSignal.timeout(this.sendAttempt.timeoutMs);
      try {
        await this.producer.sendBatch(batch, { abortSignal: deadline });
        return;
      } catch (error) {
        if (!deadline.aborted || attempt >= this.sendAttempt.attempts) throw error;
      }
    }
  }

  async close(): Promise<void> {
    await this.producer.close();
  }
}
