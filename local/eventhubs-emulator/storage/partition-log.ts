/**
 * The storage port of one partition: an append-only log of events. The in-memory adapter serves quick
 * tests; the file adapter keeps events across restarts. Sequence numbers start at 0 and never repeat;
 * offsets are byte positions in the partition's logical stream, so they grow with every event, like
 * the service's offsets (they are not sequence numbers).
 */

/** One event as it is stored: the producer's encoded AMQP message, minus its message annotations. */
export interface EventRecord {
  /** Encoded AMQP sections of the message without message- and delivery-annotations. */
  readonly message: Buffer;
  /** Byte position in `message` where annotation sections go back in (after the header, if any). */
  readonly annotationsAt: number;
  /** The producer's own message-annotations section, encoded as received (empty when none). */
  readonly annotations: Buffer;
  /** The partition key the event was sent with, if any. */
  readonly partitionKey?: string;
}

/** A stored event with the system properties the broker stamped on it. */
export interface StoredEvent {
  readonly sequenceNumber: number;
  readonly offset: number;
  readonly enqueuedTimeMs: number;
  readonly record: EventRecord;
}

/** What management READ reports about a partition. */
export interface PartitionLogInfo {
  /** First sequence number still held; equals `lastSequenceNumber + 1` when nothing is held. */
  readonly beginSequenceNumber: number;
  /** Last sequence number ever assigned, −1 before the first event. */
  readonly lastSequenceNumber: number;
  /** Offset of the last event, −1 before the first event. */
  readonly lastOffset: number;
  /** Enqueued time of the last event, 0 before the first event. */
  readonly lastEnqueuedTimeMs: number;
  /** Bytes currently held (for retention by size and for metrics). */
  readonly retainedBytes: number;
}

export interface PartitionLog {
  /** Whether held events live in process memory (they count against `limits.maxMemoryBytes`). */
  readonly holdsEventsInMemory: boolean;
  info(): PartitionLogInfo;
  /**
   * Stamps and appends events in order. Sequence numbers are assigned at once (so concurrent appends
   * keep their call order); the promise resolves when the events are durable and readable.
   */
  append(records: readonly EventRecord[], enqueuedTimeMs: number): Promise<void>;
  /** Events from `fromSequenceNumber` on that are durable, at most `maxCount` of them. */
  read(fromSequenceNumber: number, maxCount: number): StoredEvent[];
  /** Sequence number of the first held event whose offset is > (or ≥ when inclusive) `offset`. */
  sequenceNumberAfterOffset(offset: number, bound: { inclusive: boolean }): number;
  /** Sequence number of the first held event enqueued strictly after `timeMs`. */
  sequenceNumberAfterTime(timeMs: number): number;
  /** Drops events older than `olderThanMs` and, oldest first, beyond `maxBytes` (the last event stays). */
  applyRetention(olderThanMs: number, maxBytes: number): void;
  close(): Promise<void>;
}

/** Bytes of the fixed part of a stored record (see record-codec.ts). */
export const RECORD_HEADER_BYTES = 44;

/**
 * Stored size of an event: the size of its record in the file log, which offsets advance by. The
 * memory log uses the same sizes so offsets do not depend on whether persistence is on.
 */
export function storedSize(record: EventRecord): number {
  return RECORD_HEADER_BYTES + record.message.length + record.annotations.length + Buffer.byteLength(record.partitionKey ?? '');
}
