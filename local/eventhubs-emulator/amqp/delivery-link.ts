import type { Sender } from 'rhea';
import type { PartitionState } from '../broker/event-hub-broker.js';
import type { PartitionCounters } from '../broker/emulator-metrics.js';
import type { RegisteredReader } from '../broker/reader-registry.js';
import type { LinkHandler } from './connection-state.js';
import { encodeDelivery } from './event-message-codec.js';

/** Events read from the log per pass; bounds the work done before yielding to the event loop. */
const READ_CHUNK = 256;

/**
 * A consumer's link to one partition in one consumer group: sends events from its position on, only
 * while the client grants credit, so a slow consumer never makes the server buffer without bound.
 */
export class DeliveryLink implements LinkHandler, RegisteredReader {
  private nextSequenceNumber: number;
  private closed = false;
  private pumping = false;
  /**
   * Sends rhea has queued but not yet written: it takes credit only when it writes (on the next tick),
   * so until then `sender.credit` overstates what may be sent.
   */
  private unwritten = 0;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly sender: Sender,
    private readonly partition: PartitionState,
    private readonly consumerGroup: string,
    startSequenceNumber: number,
    readonly ownerLevel: number | undefined,
    private readonly withRuntimeInfo: boolean,
    private readonly counters: PartitionCounters,
  ) {
    this.nextSequenceNumber = startSequenceNumber;
    this.unsubscribe = partition.onAppend(() => this.onSendable());
  }

  onSendable(): void {
    if (this.closed || this.pumping) return;
    this.pumping = true;
    try {
      const log = this.partition.log;
      while (!this.closed && this.budget() > 0) {
        const info = log.info();
        if (this.nextSequenceNumber > info.lastSequenceNumber) break;
        // Retention may have removed events the reader had not reached yet: continue from the oldest held.
        if (this.nextSequenceNumber < info.beginSequenceNumber) this.nextSequenceNumber = info.beginSequenceNumber;
        const events = log.read(this.nextSequenceNumber, Math.min(READ_CHUNK, this.budget()));
        if (events.length === 0) break;
        for (const event of events) {
          if (this.budget() <= 0) break;
          const runtimeInfo = this.withRuntimeInfo
            ? { lastSequenceNumber: info.lastSequenceNumber, lastOffset: info.lastOffset, lastEnqueuedTimeMs: info.lastEnqueuedTimeMs }
            : undefined;
          const payload = encodeDelivery(event, runtimeInfo);
          this.sender.send(payload, undefined, 0);
          this.countUnwritten();
          this.nextSequenceNumber = event.sequenceNumber + 1;
          this.counters.eventsOut++;
          this.counters.bytesOut += payload.length;
        }
      }
    } finally {
      this.pumping = false;
    }
  }

  private budget(): number {
    return this.sender.sendable() ? (this.sender as unknown as { credit: number }).credit - this.unwritten : 0;
  }

  private countUnwritten(): void {
    if (this.unwritten++ === 0) {
      // Queued after rhea's own write pass for this tick, so by then credit is up to date.
      process.nextTick(() => {
        this.unwritten = 0;
        this.onSendable();
      });
    }
  }

  disconnect(condition: string, description: string): void {
    if (this.closed) return;
    this.onClose();
    this.sender.close({ condition, description });
  }

  onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    this.partition.readers(this.consumerGroup).remove(this);
  }
}
