import type { Sender } from 'rhea';
import type { PartitionState } from '../broker/event-hub-broker.js';
import type { PartitionCounters } from '../broker/emulator-metrics.js';
import type { RegisteredReader } from '../broker/reader-registry.js';
import type { LinkHandler } from './connection-state.js';
import { encodeDelivery } from './event-message-encoder.js';

/** Counters rhea keeps on a sender and its session but does not type. */
interface RheaSenderCounters {
  credit: number;
  delivery_count: number;
  connection: { socket?: { writableLength: number } };
  session: {
    outgoing: {
      /** Deliveries handed to the session and not yet fully written are ids in [next_pending_delivery, next_delivery_id). */
      next_delivery_id: number;
      next_pending_delivery: number;
      /** Transfers the peer's session window still admits. */
      transfer_window(): number;
    };
  };
}

/**
 * How soon a reader held back by a full socket buffer (see `maxUnreadBytes`) looks again. It tops the
 * buffer up as it drains rather than once it is empty (Node's 'drain'), so a busy machine's
 * scheduling gaps do not starve a fast reader.
 */
const OUTPUT_RETRY_MS = 5;

/** How soon to look again when the peer's session window, not credit, held us back. */
const WINDOW_RETRY_MS = 2;

/** Events read from the log per pass; bounds the work done before yielding to the event loop. */
const READ_CHUNK = 256;

/** What a delivery link reads and how: named, so no call site passes a bare `true`. */
export interface DeliveryLinkSettings {
  consumerGroup: string;
  startSequenceNumber: number;
  ownerLevel: number | undefined;
  /** The client asked for the partition's last-enqueued values on every event. */
  withRuntimeInfo: boolean;
  counters: PartitionCounters;
  /**
   * `limits.maxUnreadBytesPerConnection`: no transfers are handed to rhea while the connection's
   * socket holds more than this that the client has not read. A client that grants credit and then
   * reads slowly would otherwise make the server buffer up to credit × event size.
   */
  maxUnreadBytes: number;
}

/**
 * A consumer's link to one partition in one consumer group: sends events from its position on, only
 * while the client grants credit, so a slow consumer never makes the server buffer without bound.
 */
export class DeliveryLink implements LinkHandler, RegisteredReader {
  private nextSequenceNumber: number;
  private closed = false;
  private pumping = false;
  /** Transfers handed to rhea; rhea counts the ones it has written in `delivery_count`. */
  private sent = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private continuation: NodeJS.Immediate | undefined;
  private readonly unsubscribe: () => void;

  private readonly consumerGroup: string;
  readonly ownerLevel: number | undefined;
  private readonly withRuntimeInfo: boolean;
  private readonly counters: PartitionCounters;
  private readonly maxUnreadBytes: number;

  constructor(
    private readonly sender: Sender,
    private readonly partition: PartitionState,
    settings: DeliveryLinkSettings,
  ) {
    this.consumerGroup = settings.consumerGroup;
    this.ownerLevel = settings.ownerLevel;
    this.withRuntimeInfo = settings.withRuntimeInfo;
    this.counters = settings.counters;
    this.maxUnreadBytes = settings.maxUnreadBytes;
    this.nextSequenceNumber = settings.startSequenceNumber;
    this.unsubscribe = partition.onAppend(() => this.onSendable());
  }

  onSendable(): void {
    if (this.closed || this.pumping) return;
    this.pumping = true;
    try {
      const log = this.partition.log;
      // rhea writes what it is handed on the next tick, so a pass stops at the high-water mark and
      // goes on right after rhea has written it, when the socket's buffer can be checked.
      let passBytes = 0;
      while (!this.closed && this.budget() > 0) {
        if (passBytes >= this.maxUnreadBytes) {
          this.continueSoon();
          break;
        }
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
          this.sent++;
          this.nextSequenceNumber = event.sequenceNumber + 1;
          this.counters.eventsOut++;
          this.counters.bytesOut += payload.length;
          passBytes += payload.length;
          if (passBytes >= this.maxUnreadBytes) break;
        }
      }
    } finally {
      this.pumping = false;
    }
  }

  /**
   * How many more events may be handed to rhea now. rhea takes credit only when it writes a transfer
   * (on the next tick), so transfers it still holds count against the credit. And nothing is handed
   * over beyond what the peer's session window admits: rhea writes everything we hand it before it
   * reads the next frame, so a detach never finds transfers of ours still queued, which rhea would
   * send after the detach (the client then drops the connection on the unknown handle). Nor while
   * the socket holds more than `maxUnreadBytes` that the client has not read.
   */
  private budget(): number {
    if (!this.sender.sendable()) return 0;
    const link = this.sender as unknown as RheaSenderCounters;
    if ((link.connection.socket?.writableLength ?? 0) > this.maxUnreadBytes) {
      this.retryLater(OUTPUT_RETRY_MS);
      return 0;
    }
    const outgoing = link.session.outgoing;
    const byCredit = link.credit - (this.sent - link.delivery_count);
    const byWindow = outgoing.transfer_window() - (outgoing.next_delivery_id - outgoing.next_pending_delivery);
    if (byCredit > 0 && byWindow <= 0) this.retryLater();
    return Math.min(byCredit, byWindow);
  }

  private continueSoon(): void {
    if (this.continuation || this.closed) return;
    this.continuation = setImmediate(() => {
      this.continuation = undefined;
      this.onSendable();
    });
  }

  /** Neither a session flow that reopens the window nor a socket that drains is a link event: look again. */
  private retryLater(delayMs = WINDOW_RETRY_MS): void {
    if (this.retryTimer || this.closed) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.onSendable();
    }, delayMs);
  }

  onDrain(): void {
    this.onSendable();
    if (!this.closed && this.nextSequenceNumber > this.partition.log.info().lastSequenceNumber) this.sender.set_drained(true);
  }

  disconnect(condition: string, description: string): void {
    if (this.closed) return;
    this.onClose();
    this.sender.close({ condition, description });
  }

  onClose(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.continuation) clearImmediate(this.continuation);
    this.unsubscribe();
    this.partition.readers(this.consumerGroup).remove(this);
  }
}
