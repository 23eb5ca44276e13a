import type { PartitionLogInfo } from './partition-log.js';
import { elementAt } from '../core/element-at.js';

/**
 * Sequence-number-ordered index of the events a partition holds: offset, enqueued time and size per
 * event, in growable typed arrays so millions of events cost a few bytes each. Shared by the memory
 * and file adapters; the adapters keep the payloads.
 */
export class EventIndex {
  private offsets = new Float64Array(1024);
  private times = new Float64Array(1024);
  private sizes = new Float64Array(1024);
  /** Index of the first held event within the arrays. */
  private head = 0;
  /** One past the last event within the arrays. */
  private tail = 0;
  /** Sequence number of the event at `head`. */
  private headSequence = 0;
  private bytes = 0;
  private lastOffset = -1;
  private lastTime = 0;
  private lastSequence = -1;

  /** Resets the index to start at `firstSequenceNumber` with nothing held (e.g. after retention). */
  startAt(firstSequenceNumber: number, lastOffset: number, lastTimeMs: number): void {
    this.head = 0;
    this.tail = 0;
    this.headSequence = firstSequenceNumber;
    this.lastSequence = firstSequenceNumber - 1;
    this.lastOffset = lastOffset;
    this.lastTime = lastTimeMs;
    this.bytes = 0;
  }

  get nextSequenceNumber(): number {
    return this.lastSequence + 1;
  }

  /** Offset the next event gets: the previous event's offset plus its size. */
  nextOffset(): number {
    if (this.tail === this.head) return this.lastOffset < 0 ? 0 : this.lastOffset + 1;
    return elementAt(this.offsets, this.tail - 1) + elementAt(this.sizes, this.tail - 1);
  }

  push(offset: number, timeMs: number, size: number): number {
    if (this.tail === this.offsets.length) this.grow();
    this.offsets[this.tail] = offset;
    this.times[this.tail] = timeMs;
    this.sizes[this.tail] = size;
    this.tail++;
    this.bytes += size;
    this.lastOffset = offset;
    this.lastTime = timeMs;
    this.lastSequence++;
    return this.lastSequence;
  }

  get firstSequenceNumber(): number {
    return this.headSequence;
  }

  get count(): number {
    return this.tail - this.head;
  }

  /** Where a held event's values are in the arrays; asking for one not held is a bug. */
  private slot(sequenceNumber: number): number {
    const position = this.head + sequenceNumber - this.headSequence;
    if (!(position >= this.head && position < this.tail)) {
      throw new RangeError(`sequence number ${sequenceNumber} is not held (${this.headSequence} to ${this.lastSequence} are)`);
    }
    return position;
  }

  // These run per event read, and `slot()` has proved the position lies in head..tail, which is
  // within the arrays: they are indexed directly rather than checked a second time by elementAt.
  offsetOf(sequenceNumber: number): number {
    return this.offsets[this.slot(sequenceNumber)]!;
  }

  timeOf(sequenceNumber: number): number {
    return this.times[this.slot(sequenceNumber)]!;
  }

  sizeOf(sequenceNumber: number): number {
    return this.sizes[this.slot(sequenceNumber)]!;
  }

  info(): PartitionLogInfo {
    return {
      beginSequenceNumber: this.headSequence,
      lastSequenceNumber: this.lastSequence,
      lastOffset: this.lastOffset,
      lastEnqueuedTimeMs: this.lastTime,
      retainedBytes: this.bytes,
    };
  }

  /** First held sequence number whose value in `values` passes `after` (binary search; values ascend). */
  private firstAfter(values: Float64Array, limit: number, { inclusive }: { inclusive: boolean }): number {
    let low = this.head;
    let high = this.tail;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const value = elementAt(values, middle);
      const passes = inclusive ? value >= limit : value > limit;
      if (passes) high = middle;
      else low = middle + 1;
    }
    return this.headSequence + (low - this.head);
  }

  sequenceNumberAfterOffset(offset: number, bound: { inclusive: boolean }): number {
    return this.firstAfter(this.offsets, offset, bound);
  }

  sequenceNumberAfterTime(timeMs: number): number {
    return this.firstAfter(this.times, timeMs, { inclusive: false });
  }

  /** Drops events from the head: those enqueued before `olderThanMs`, then oldest beyond `maxBytes`; keeps the last one. Returns how many went. */
  dropHead(olderThanMs: number, maxBytes: number): number {
    let dropped = 0;
    while (this.tail - this.head > 1 && (elementAt(this.times, this.head) < olderThanMs || this.bytes > maxBytes)) {
      this.bytes -= elementAt(this.sizes, this.head);
      this.head++;
      this.headSequence++;
      dropped++;
    }
    if (this.head > 4096 && this.head > this.tail >> 1) this.compact();
    return dropped;
  }

  /** Drops every held event below `sequenceNumber` (whole segments going away). */
  dropBefore(sequenceNumber: number): void {
    while (this.tail > this.head && this.headSequence < sequenceNumber) {
      this.bytes -= elementAt(this.sizes, this.head);
      this.head++;
      this.headSequence++;
    }
    if (this.head > 4096 && this.head > this.tail >> 1) this.compact();
  }

  private compact(): void {
    this.offsets.copyWithin(0, this.head, this.tail);
    this.times.copyWithin(0, this.head, this.tail);
    this.sizes.copyWithin(0, this.head, this.tail);
    this.tail -= this.head;
    this.head = 0;
  }

  private grow(): void {
    if (this.head > 0 && this.head >= this.tail >> 1) {
      this.compact();
      return;
    }
    const size = this.offsets.length * 2;
    for (const key of ['offsets', 'times', 'sizes'] as const) {
      const next = new Float64Array(size);
      next.set(this[key]);
      this[key] = next;
    }
  }
}
