import { EventIndex } from './event-index.js';
import { storedSize, type EventRecord, type PartitionLog, type PartitionLogInfo, type StoredEvent } from './partition-log.js';
import { elementAt } from '../core/element-at.js';

/** A partition log held in memory only: quick tests and `dataDir`-less runs. Nothing survives close. */
export class MemoryPartitionLog implements PartitionLog {
  readonly holdsEventsInMemory: boolean = true;
  private readonly index = new EventIndex();
  private records: EventRecord[] = [];
  /** Sequence number of records[0]. */
  private recordsBase = 0;

  info(): PartitionLogInfo {
    return this.index.info();
  }

  append(records: readonly EventRecord[], enqueuedTimeMs: number): Promise<void> {
    for (const record of records) {
      const size = storedSize(record);
      this.index.push(this.index.nextOffset(), enqueuedTimeMs, size);
      this.records.push(record);
    }
    return Promise.resolve();
  }

  read(fromSequenceNumber: number, maxCount: number): StoredEvent[] {
    const start = Math.max(fromSequenceNumber, this.index.firstSequenceNumber);
    const end = Math.min(start + maxCount, this.index.nextSequenceNumber);
    const events: StoredEvent[] = [];
    for (let sequenceNumber = start; sequenceNumber < end; sequenceNumber++) {
      events.push({
        sequenceNumber,
        offset: this.index.offsetOf(sequenceNumber),
        enqueuedTimeMs: this.index.timeOf(sequenceNumber),
        record: elementAt(this.records, sequenceNumber - this.recordsBase),
      });
    }
    return events;
  }

  sequenceNumberAfterOffset(offset: number, bound: { inclusive: boolean }): number {
    return this.index.sequenceNumberAfterOffset(offset, bound);
  }

  sequenceNumberAfterTime(timeMs: number): number {
    return this.index.sequenceNumberAfterTime(timeMs);
  }

  applyRetention(olderThanMs: number, maxBytes: number): void {
    const dropped = this.index.dropHead(olderThanMs, maxBytes);
    if (dropped > 0) {
      this.records = this.records.slice(dropped);
      this.recordsBase += dropped;
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
