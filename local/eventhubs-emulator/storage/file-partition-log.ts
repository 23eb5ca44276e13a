import { mkdir, open, readdir, rm, type FileHandle } from 'node:fs/promises';
import { readSync } from 'node:fs';
import { join } from 'node:path';
import { EventIndex } from './event-index.js';
import { decodeRecord, encodeRecord } from './record-codec.js';
import { storedSize, type EventRecord, type PartitionLog, type PartitionLogInfo, type StoredEvent } from './partition-log.js';
import { elementAt } from '../core/element-at.js';

/**
 * When an acknowledged event is safe:
 * - `fsync`: after fdatasync; survives a process crash and a power loss.
 * - `none`: after the write to the OS; survives a process crash (kill -9), not a power loss or OS crash.
 */
export type SyncMode = 'fsync' | 'none';

export interface FilePartitionLogOptions {
  directory: string;
  sync: SyncMode;
  /** A new segment file starts once the current one holds this many bytes. */
  segmentBytes: number;
  log: (line: string) => void;
  /** Told after each group commit how many events it made durable. */
  onFlush?: (events: number) => void;
}

interface Segment {
  /** Offset of the segment's first record; also its file name. */
  readonly baseOffset: number;
  readonly path: string;
  readonly file: FileHandle;
  size: number;
  firstSequenceNumber: number;
  lastSequenceNumber: number;
  lastTimeMs: number;
}

interface PendingEvent {
  sequenceNumber: number;
  offset: number;
  timeMs: number;
  size: number;
  bytes: Buffer;
}

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

const SEGMENT_SUFFIX = '.log';
/** Most bytes one read pass pulls from disk. */
const READ_BYTES = 4 * 1024 * 1024;

function segmentName(baseOffset: number): string {
  return `${String(baseOffset).padStart(20, '0')}${SEGMENT_SUFFIX}`;
}

/**
 * A partition as append-only segment files. Appends are group-committed: while one write (and
 * fsync) is in flight, later appends queue up and go out together in the next one, so durability
 * costs one fsync per group, not per event. Events become readable only once durable. On open, every
 * record is checked (length, CRC-32, sequence); a torn or corrupt tail is cut off, never served.
 */
export class FilePartitionLog implements PartitionLog {
  readonly holdsEventsInMemory: boolean = false;
  private readonly index = new EventIndex();
  private readonly segments: Segment[] = [];
  private pending: PendingEvent[] = [];
  private waiters: Waiter[] = [];
  private flushing = false;
  private flushScheduled = false;
  private nextSequenceNumber = 0;
  private nextOffset = 0;
  private closed = false;
  private idle: Promise<void> = Promise.resolve();
  private markIdle: () => void = () => undefined;

  private constructor(private readonly options: FilePartitionLogOptions) {}

  static async open(options: FilePartitionLogOptions): Promise<FilePartitionLog> {
    const log = new FilePartitionLog(options);
    await mkdir(options.directory, { recursive: true });
    await log.recover();
    return log;
  }

  private async recover(): Promise<void> {
    const names = (await readdir(this.options.directory)).filter((name) => /^\d{20}\.log$/.test(name)).sort();
    let expectedSequence: number | undefined;
    let expectedOffset: number | undefined;
    for (const [i, name] of names.entries()) {
      const path = join(this.options.directory, name);
      const baseOffset = Number(name.slice(0, 20));
      const file = await open(path, 'r+');
      const contents = await file.readFile();
      const segment: Segment = { baseOffset, path, file, size: 0, firstSequenceNumber: -1, lastSequenceNumber: -1, lastTimeMs: 0 };
      let at = 0;
      let problem: string | undefined;
      if (expectedOffset !== undefined && baseOffset !== expectedOffset)
        problem = `segment starts at offset ${baseOffset}, expected ${expectedOffset}`;
      while (!problem && at < contents.length) {
        const result = decodeRecord(contents, at);
        if (result.kind === 'incomplete') {
          problem = `torn record at byte ${at}`;
          break;
        }
        if (result.kind === 'corrupt') {
          problem = `${result.reason} at byte ${at}`;
          break;
        }
        const { event, size } = result;
        if (event.offset !== baseOffset + at || (expectedSequence !== undefined && event.sequenceNumber !== expectedSequence)) {
          problem = `record at byte ${at} is out of sequence`;
          break;
        }
        if (expectedSequence === undefined) this.index.startAt(event.sequenceNumber, event.offset - 1, event.enqueuedTimeMs);
        if (segment.firstSequenceNumber < 0) segment.firstSequenceNumber = event.sequenceNumber;
        this.index.push(event.offset, event.enqueuedTimeMs, size);
        segment.lastSequenceNumber = event.sequenceNumber;
        segment.lastTimeMs = event.enqueuedTimeMs;
        expectedSequence = event.sequenceNumber + 1;
        expectedOffset = event.offset + size;
        at += size;
      }
      segment.size = at;
      if (problem) {
        this.options.log(`${path}: ${problem}; cutting the log there (${contents.length - at} bytes dropped)`);
        await file.truncate(at);
        await file.datasync();
        for (const later of names.slice(i + 1)) await rm(join(this.options.directory, later), { force: true });
      }
      if (segment.size === 0) {
        await file.close();
        await rm(path, { force: true });
      } else {
        this.segments.push(segment);
      }
      if (problem) break;
    }
    this.nextSequenceNumber = this.index.nextSequenceNumber;
    this.nextOffset = this.index.count > 0 ? this.index.nextOffset() : 0;
  }

  info(): PartitionLogInfo {
    return this.index.info();
  }

  append(records: readonly EventRecord[], enqueuedTimeMs: number): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the partition log is closed'));
    for (const record of records) {
      const size = storedSize(record);
      const event: StoredEvent = { sequenceNumber: this.nextSequenceNumber, offset: this.nextOffset, enqueuedTimeMs, record };
      this.pending.push({
        sequenceNumber: event.sequenceNumber,
        offset: event.offset,
        timeMs: enqueuedTimeMs,
        size,
        bytes: encodeRecord(event),
      });
      this.nextSequenceNumber++;
      this.nextOffset += size;
    }
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.scheduleFlush();
    return done;
  }

  private scheduleFlush(): void {
    if (this.flushing || this.flushScheduled) return;
    this.flushScheduled = true;
    if (!this.flushing) this.idle = new Promise((resolve) => (this.markIdle = resolve));
    // One turn of the event loop lets appends arriving together share a write.
    setImmediate(() => void this.flush());
  }

  private async flush(): Promise<void> {
    this.flushScheduled = false;
    this.flushing = true;
    try {
      while (this.pending.length > 0) {
        const events = this.pending;
        const waiters = this.waiters;
        this.pending = [];
        this.waiters = [];
        try {
          await this.write(events);
        } catch (error) {
          this.failPending(events, waiters, error);
          continue;
        }
        for (const event of events) this.index.push(event.offset, event.timeMs, event.size);
        this.options.onFlush?.(events.length);
        for (const waiter of waiters) waiter.resolve();
      }
    } finally {
      this.flushing = false;
      this.markIdle();
    }
  }

  private async write(events: PendingEvent[]): Promise<void> {
    const first = events[0];
    const last = events.at(-1);
    if (first === undefined || last === undefined) return;
    let segment = this.segments.at(-1);
    if (!segment || segment.size >= this.options.segmentBytes) segment = await this.roll(first);
    const buffers = events.map((event) => event.bytes);
    const total = buffers.reduce((sum, buffer) => sum + buffer.length, 0);
    let written = 0;
    while (written < total) {
      const chunk = written === 0 ? buffers : [Buffer.concat(buffers).subarray(written)];
      const { bytesWritten } = await segment.file.writev(chunk, segment.size + written);
      written += bytesWritten;
    }
    if (this.options.sync === 'fsync') await segment.file.datasync();
    if (segment.firstSequenceNumber < 0) segment.firstSequenceNumber = first.sequenceNumber;
    segment.size += total;
    segment.lastSequenceNumber = last.sequenceNumber;
    segment.lastTimeMs = last.timeMs;
  }

  private async roll(first: PendingEvent): Promise<Segment> {
    const path = join(this.options.directory, segmentName(first.offset));
    const file = await open(path, 'w+');
    if (this.options.sync === 'fsync') {
      // The new file's directory entry must be durable too, or a power loss could lose the whole segment.
      const directory = await open(this.options.directory, 'r');
      try {
        await directory.sync();
      } finally {
        await directory.close();
      }
    }
    const segment: Segment = {
      baseOffset: first.offset,
      path,
      file,
      size: 0,
      firstSequenceNumber: -1,
      lastSequenceNumber: -1,
      lastTimeMs: 0,
    };
    this.segments.push(segment);
    return segment;
  }

  /** A failed write: nothing of it is acknowledged; later appends restart from the last durable event. */
  private failPending(events: PendingEvent[], waiters: Waiter[], error: unknown): void {
    this.options.log(`${this.options.directory}: write failed: ${String(error)}`);
    const failedWaiters = [...waiters, ...this.waiters];
    this.pending = [];
    this.waiters = [];
    this.nextSequenceNumber = this.index.nextSequenceNumber;
    // Rewind to the first failed event; with none, nothing was taken.
    const first = events[0];
    if (first !== undefined) this.nextOffset = first.offset;
    const segment = this.segments.at(-1);
    if (segment) void segment.file.truncate(segment.size).catch(() => undefined);
    for (const waiter of failedWaiters) waiter.reject(error);
  }

  read(fromSequenceNumber: number, maxCount: number): StoredEvent[] {
    const first = Math.max(fromSequenceNumber, this.index.firstSequenceNumber);
    const end = Math.min(first + maxCount, this.index.nextSequenceNumber);
    if (first >= end) return [];
    const events: StoredEvent[] = [];
    let sequenceNumber = first;
    while (sequenceNumber < end) {
      const startOffset = this.index.offsetOf(sequenceNumber);
      const segment = this.segmentFor(startOffset);
      if (!segment) break;
      // Take whole records from this segment, up to READ_BYTES (always at least one).
      let last = sequenceNumber;
      let bytes = this.index.sizeOf(last);
      while (last + 1 < end && segment.lastSequenceNumber >= last + 1 && bytes + this.index.sizeOf(last + 1) <= READ_BYTES) {
        last++;
        bytes += this.index.sizeOf(last);
      }
      const buffer = Buffer.allocUnsafe(bytes);
      const fd = segment.file.fd;
      let got = 0;
      while (got < bytes) {
        const n = readSync(fd, buffer, got, bytes - got, startOffset - segment.baseOffset + got);
        if (n === 0) throw new Error(`${segment.path}: unexpected end of file`);
        got += n;
      }
      let at = 0;
      for (let current = sequenceNumber; current <= last; current++) {
        const result = decodeRecord(buffer, at);
        if (result.kind !== 'record') throw new Error(`${segment.path}: unreadable record for sequence number ${current}`);
        events.push(result.event);
        at += result.size;
      }
      sequenceNumber = last + 1;
    }
    return events;
  }

  private segmentFor(offset: number): Segment | undefined {
    let low = 0;
    let high = this.segments.length - 1;
    let found: Segment | undefined;
    while (low <= high) {
      const middle = (low + high) >> 1;
      const candidate = elementAt(this.segments, middle);
      if (candidate.baseOffset <= offset) {
        found = candidate;
        low = middle + 1;
      } else {
        high = middle - 1;
      }
    }
    return found;
  }

  sequenceNumberAfterOffset(offset: number, bound: { inclusive: boolean }): number {
    return this.index.sequenceNumberAfterOffset(offset, bound);
  }

  sequenceNumberAfterTime(timeMs: number): number {
    return this.index.sequenceNumberAfterTime(timeMs);
  }

  /** Deletes whole segments, oldest first, never the one being written. */
  applyRetention(olderThanMs: number, maxBytes: number): void {
    while (this.segments.length > 1) {
      const oldest = elementAt(this.segments, 0);
      const retained = this.index.info().retainedBytes;
      if (!(oldest.lastTimeMs < olderThanMs || retained > maxBytes)) break;
      this.segments.shift();
      this.index.dropBefore(oldest.lastSequenceNumber + 1);
      void oldest.file
        .close()
        .then(() => rm(oldest.path, { force: true }))
        .catch((error: unknown) => this.options.log(`${oldest.path}: cannot delete: ${String(error)}`));
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.flushing || this.flushScheduled || this.pending.length > 0) {
      if (!this.flushing && !this.flushScheduled) await this.flush();
      else await this.idle;
    }
    for (const segment of this.segments) await segment.file.close();
  }
}
