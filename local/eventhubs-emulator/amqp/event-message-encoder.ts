/**
 * Delivery side of event messages: re-emits a stored record with the system properties a receiver
 * expects (sequence number, offset, enqueued time, partition key) in its message annotations.
 */
import type { EventRecord, StoredEvent } from '../storage/partition-log.js';
import { DELIVERY_ANNOTATIONS, MESSAGE_ANNOTATIONS, PARTITION_KEY } from './message-sections.js';
import { amqpTypes as types, type Typed } from './rhea-codec.js';
import { elementAt } from '../core/element-at.js';

/** Annotations the broker stamps; a producer's own values for them are dropped. */
const STAMPED = new Set(['x-opt-sequence-number', 'x-opt-offset', 'x-opt-enqueued-time', PARTITION_KEY]);

/** What a receiver that asked for runtime metrics gets in delivery annotations. */
export interface PartitionRuntimeInfo {
  lastSequenceNumber: number;
  lastOffset: number;
  lastEnqueuedTimeMs: number;
}

const SEQUENCE_KEY = Buffer.from([0xa3, 21, ...Buffer.from('x-opt-sequence-number')]);
const OFFSET_KEY = Buffer.from([0xa3, 12, ...Buffer.from('x-opt-offset')]);
const TIME_KEY = Buffer.from([0xa3, 19, ...Buffer.from('x-opt-enqueued-time')]);
const KEY_KEY = Buffer.from([0xa3, 19, ...Buffer.from(PARTITION_KEY)]);

function writeInt64(buffer: Buffer, value: number, at: number): number {
  buffer.writeInt32BE(Math.floor(value / 2 ** 32), at);
  buffer.writeUInt32BE(value >>> 0, at + 4);
  return at + 8;
}

/**
 * The common case, written straight into one buffer: no annotations of the producer's own besides
 * the partition key, no runtime metrics. The message-annotations section is a map32 of symbol keys:
 * sequence number (long), offset (string), enqueued time (timestamp), partition key (string).
 */
function encodePlainDelivery(event: StoredEvent): Buffer {
  const { record } = event;
  const offset = String(event.offset);
  const key = record.partitionKey === undefined ? undefined : Buffer.from(record.partitionKey, 'utf8');
  const keyValueBytes = key ? (key.length > 255 ? 5 : 2) + key.length : 0;
  const entriesBytes =
    SEQUENCE_KEY.length + 9 + OFFSET_KEY.length + 2 + offset.length + TIME_KEY.length + 9 + (key ? KEY_KEY.length + keyValueBytes : 0);
  const sectionBytes = 3 + 1 + 8 + entriesBytes;
  const out = Buffer.allocUnsafe(record.message.length + sectionBytes);
  let at = record.message.copy(out, 0, 0, record.annotationsAt);
  out[at++] = 0x00;
  out[at++] = 0x53;
  out[at++] = MESSAGE_ANNOTATIONS;
  out[at++] = 0xd1;
  out.writeUInt32BE(entriesBytes + 4, at);
  out.writeUInt32BE(key ? 8 : 6, at + 4);
  at += 8;
  at += SEQUENCE_KEY.copy(out, at);
  out[at++] = 0x81;
  at = writeInt64(out, event.sequenceNumber, at);
  at += OFFSET_KEY.copy(out, at);
  out[at++] = 0xa1;
  out[at++] = offset.length;
  at += out.write(offset, at, 'latin1');
  at += TIME_KEY.copy(out, at);
  out[at++] = 0x83;
  at = writeInt64(out, event.enqueuedTimeMs, at);
  if (key) {
    at += KEY_KEY.copy(out, at);
    if (key.length > 255) {
      out[at++] = 0xb1;
      out.writeUInt32BE(key.length, at);
      at += 4;
    } else {
      out[at++] = 0xa1;
      out[at++] = key.length;
    }
    at += key.copy(out, at);
  }
  record.message.copy(out, at, record.annotationsAt);
  return out;
}

/** Encodes a stored event for a receiver: the producer's sections plus the broker's annotations. */
export function encodeDelivery(event: StoredEvent, runtimeInfo?: PartitionRuntimeInfo): Buffer {
  const { record } = event;
  if (!runtimeInfo && !hasOwnAnnotations(record)) return encodePlainDelivery(event);
  const items: Typed[] = [];
  if (record.annotations.length > 0) {
    const raw = (new types.Reader(record.annotations).read() as unknown as { value: Typed[] }).value;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const key = elementAt(raw, i);
      if (!STAMPED.has(String((key as { value: unknown }).value))) items.push(key, elementAt(raw, i + 1));
    }
  }
  items.push(types.wrap_symbol('x-opt-sequence-number'), types.wrap_long(event.sequenceNumber));
  items.push(types.wrap_symbol('x-opt-offset'), types.wrap_string(String(event.offset)));
  items.push(types.wrap_symbol('x-opt-enqueued-time'), types.wrap_timestamp(event.enqueuedTimeMs));
  if (record.partitionKey !== undefined) items.push(types.wrap_symbol(PARTITION_KEY), types.wrap_string(record.partitionKey));
  const writer = new types.Writer();
  if (runtimeInfo) {
    writer.write(
      types.described(
        types.wrap_ulong(DELIVERY_ANNOTATIONS),
        types.wrap_map(
          {
            last_enqueued_sequence_number: types.wrap_long(runtimeInfo.lastSequenceNumber),
            last_enqueued_offset: String(runtimeInfo.lastOffset),
            last_enqueued_time_utc: types.wrap_timestamp(runtimeInfo.lastEnqueuedTimeMs),
            runtime_info_retrieval_time_utc: types.wrap_timestamp(Date.now()),
          },
          types.wrap_symbol,
        ),
      ),
    );
  }
  writer.write(types.described(types.wrap_ulong(MESSAGE_ANNOTATIONS), types.Map32(items)));
  const annotationBytes = writer.toBuffer();
  return Buffer.concat([record.message.subarray(0, record.annotationsAt), annotationBytes, record.message.subarray(record.annotationsAt)]);
}

/**
 * Whether the producer set message annotations other than the partition key (which the fast path
 * writes itself). The SDK's own annotations section for a keyed event is exactly `{x-opt-partition-key: k}`.
 */
function hasOwnAnnotations(record: EventRecord): boolean {
  if (record.annotations.length === 0) return false;
  if (record.partitionKey === undefined) return true;
  const key = Buffer.from(record.partitionKey, 'utf8');
  // 0x00 0x53 0x72, a map8 or map32 with count 2, then the key symbol and a str8/str32 value.
  const bytes = record.annotations;
  const headerBytes = bytes[3] === 0xc1 ? 6 : bytes[3] === 0xd1 ? 12 : -1;
  if (headerBytes < 0) return true;
  const count = headerBytes === 6 ? bytes[5] : bytes.readUInt32BE(8);
  const valueHeader = key.length > 255 ? 5 : 2;
  const onlyTheKey =
    count === 2 &&
    bytes.length === headerBytes + KEY_KEY.length + valueHeader + key.length &&
    bytes.subarray(headerBytes, headerBytes + KEY_KEY.length).equals(KEY_KEY);
  return !onlyTheKey;
}
