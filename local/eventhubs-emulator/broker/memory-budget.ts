import { Conditions, type AmqpErrorInfo } from '../amqp/amqp-conditions.js';

/** A reservation of memory for one append; release it once the events are written (or refused). */
export interface MemoryReservation {
  release(): void;
}

/**
 * Caps the event bytes the emulator holds in memory: events received and not yet stored, plus,
 * without a data directory, every event the partitions hold. An append that would go over is refused
 * before it is buffered, with the error Azure gives in the same spot: `com.microsoft:server-busy`
 * (ServerBusyError, retried by the SDKs) while writes are only behind, `amqp:resource-limit-exceeded`
 * (QuotaExceededError) when held events alone fill the budget and only retention can free it.
 */
export class MemoryBudget {
  private inFlightBytes = 0;

  constructor(
    readonly maxBytes: number,
    /** Bytes of events the partitions hold in memory (0 with a data directory). */
    private readonly heldBytes: () => number,
  ) {}

  /** Bytes in memory now: in flight plus held. */
  usedBytes(): number {
    return this.inFlightBytes + this.heldBytes();
  }

  reserve(bytes: number): MemoryReservation | AmqpErrorInfo {
    const held = this.heldBytes();
    if (held + bytes > this.maxBytes) {
      return {
        condition: Conditions.resourceLimitExceeded,
        description: `The emulator holds ${held} bytes of events in memory and cannot take ${bytes} more (limits.maxMemoryBytes = ${this.maxBytes}). Without a data directory events stay in memory until retention removes them; start the emulator with a data directory or raise the limit.`,
      };
    }
    if (held + this.inFlightBytes + bytes > this.maxBytes) {
      return {
        condition: Conditions.serverBusy,
        description: `The emulator is busy: ${this.inFlightBytes} bytes of received events are still being written (limits.maxMemoryBytes = ${this.maxBytes}). Please retry.`,
      };
    }
    this.inFlightBytes += bytes;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.inFlightBytes -= bytes;
      },
    };
  }
}
