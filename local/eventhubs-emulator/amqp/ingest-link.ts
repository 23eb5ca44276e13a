import type { Receiver } from 'rhea';
import type { HubState, PartitionState } from '../broker/event-hub-broker.js';
import type { EmulatorMetrics } from '../broker/emulator-metrics.js';
import type { MemoryBudget } from '../broker/memory-budget.js';
import { Conditions } from './amqp-conditions.js';
import type { DeliveryLike, LinkHandler } from './connection-state.js';
import { MalformedMessageError, splitTransfer } from './event-message-decoder.js';
import rhea from 'rhea';

/** The service's limit for one transfer (a batch or a single event). */
export const MAX_MESSAGE_BYTES = 1_048_576;

/**
 * A producer's link to a hub or to one partition. Each transfer is split into events, placed on a
 * partition (the link's, else by partition key, else round robin) and accepted once durable.
 */
export class IngestLink implements LinkHandler {
  private closed = false;

  constructor(
    private readonly receiver: Receiver,
    private readonly hub: HubState,
    private readonly fixedPartition: PartitionState | undefined,
    private readonly metrics: EmulatorMetrics,
    private readonly memory: MemoryBudget,
    private readonly log: (line: string) => void,
  ) {}

  onMessage(message: unknown, format: number, delivery: DeliveryLike): void {
    let payload: Buffer;
    if (Buffer.isBuffer(message)) payload = message;
    else payload = rhea.message.encode(message as never);
    if (payload.length > MAX_MESSAGE_BYTES) {
      delivery.reject({
        condition: Conditions.messageSizeExceeded,
        description: `The received message (size ${payload.length} bytes) exceeds the limit (${MAX_MESSAGE_BYTES} bytes) currently allowed on the link.`,
      });
      return;
    }
    let split;
    try {
      split = splitTransfer(payload, format);
    } catch (error) {
      if (!(error instanceof MalformedMessageError)) throw error;
      this.log(`rejected a malformed message on '${this.receiver.name}': ${error.message}`);
      delivery.reject({ condition: Conditions.decodeError, description: error.message });
      return;
    }
    const [first] = split.records;
    if (first === undefined) {
      delivery.accept();
      return;
    }
    const reservation = this.memory.reserve(payload.length);
    if ('condition' in reservation) {
      this.metrics.limitRefusals.memory++;
      delivery.reject(reservation);
      return;
    }
    const partition = this.fixedPartition ?? this.hub.choosePartition(split.envelopeKey ?? first.partitionKey);
    const counters = this.metrics.counters(this.hub.name, partition.id);
    partition.append(split.records).then(
      () => {
        reservation.release();
        counters.eventsIn += split.records.length;
        counters.bytesIn += payload.length;
        if (!this.closed) delivery.accept();
      },
      (error: unknown) => {
        reservation.release();
        this.log(`append to ${this.hub.name}/${partition.id} failed: ${String(error)}`);
        if (!this.closed) delivery.reject({ condition: Conditions.internalError, description: 'The event could not be stored.' });
      },
    );
  }

  onClose(): void {
    this.closed = true;
  }
}
