/**
 * Byte-level handling of event messages: splitting the SDK's batch format into events, turning each
 * into a stored record, and re-emitting a record with the system properties a receiver expects.
 * Sections are copied as raw bytes wherever possible, so bodies and properties round-trip exactly.
 */
import type { EventRecord, StoredEvent } from '../storage/partition-log.js';
import { amqpTypes as types, type Typed } from './rhea-codec.js';

/** Message format of the SDK's batches: one data section per event, each holding a whole encoded message. */
export const BATCH_MESSAGE_FORMAT = 0x80013700;

const HEADER = 0x70;
const DELIVERY_ANNOTATIONS = 0x71;
const MESSAGE_ANNOTATIONS = 0x72;
const DATA = 0x75;
const PARTITION_KEY = 'x-opt-partition-key';
/** Annotations the broker stamps; a producer's own values for them are dropped. */
const STAMPED = new Set(['x-opt-sequence-number', 'x-opt-offset', 'x-opt-enqueued-time', PARTITION_KEY]);

export class MalformedMessageError extends Error {}

interface Section {
  code: number;
  start: number;
  end: number;
  value: { value: unknown };
}

function descriptorCode(section: { descriptor?: { value: unknown } }): number {
  const value = section.descriptor?.value;
  if (typeof value === 'number') return value;
  if (Buffer.isBuffer(value)) return Number(value.readBigUInt64BE(0));
  return -1;
}

function readSections(buffer: Buffer): Section[] {
  const reader = new types.Reader(buffer);
  const sections: Section[] = [];
  try {
    while (reader.remaining() > 0) {
      const start = reader.position;
      const section = reader.read() as unknown as { descriptor?: { value: unknown }; value: unknown };
      sections.push({ code: descriptorCode(section), start, end: reader.position, value: section as { value: unknown } });
    }
  } catch (error) {
    throw new MalformedMessageError(`cannot decode message sections: ${(error as Error).message}`);
  }
  if (reader.position !== buffer.length) throw new MalformedMessageError('message sections overrun the payload');
  return sections;
}

/** Reads a map section's entries as [key, typed value] pairs, keys as strings. */
function mapEntries(section: Section): Array<[string, unknown]> {
  const items = section.value.value;
  if (!Array.isArray(items)) return [];
  const entries: Array<[string, unknown]> = [];
  for (let i = 0; i + 1 < items.length; i += 2) {
    entries.push([String((items[i] as { value: unknown }).value), items[i + 1]]);
  }
  return entries;
}

/** Turns one encoded message into a record: annotation sections are cut out and kept aside. */
export function toEventRecord(message: Buffer, fallbackPartitionKey?: string): EventRecord {
  const sections = readSections(message);
  const kept: Buffer[] = [];
  let annotationsAt = 0;
  let annotations: Buffer = Buffer.alloc(0);
  let partitionKey = fallbackPartitionKey;
  for (const section of sections) {
    if (section.code === MESSAGE_ANNOTATIONS) {
      annotations = message.subarray(section.start, section.end);
      for (const [key, value] of mapEntries(section)) {
        if (key === PARTITION_KEY) {
          const raw = (value as { value: unknown }).value;
          if (typeof raw === 'string') partitionKey = raw;
        }
      }
      continue;
    }
    if (section.code === DELIVERY_ANNOTATIONS) continue;
    kept.push(message.subarray(section.start, section.end));
    if (section.code === HEADER) annotationsAt += section.end - section.start;
  }
  return { message: Buffer.concat(kept), annotationsAt, annotations, partitionKey };
}

/** The events a transfer carries: every data section of a batch, or the message itself. */
export function splitTransfer(payload: Buffer, format: number): { records: EventRecord[]; envelopeKey?: string } {
  if (format !== BATCH_MESSAGE_FORMAT) {
    const record = toEventRecord(payload);
    return { records: [record], envelopeKey: record.partitionKey };
  }
  const sections = readSections(payload);
  let envelopeKey: string | undefined;
  const records: EventRecord[] = [];
  for (const section of sections) {
    if (section.code === MESSAGE_ANNOTATIONS) {
      for (const [key, value] of mapEntries(section)) {
        const raw = (value as { value: unknown }).value;
        if (key === PARTITION_KEY && typeof raw === 'string') envelopeKey = raw;
      }
    } else if (section.code === DATA) {
      const inner = section.value.value;
      if (!Buffer.isBuffer(inner)) throw new MalformedMessageError('batch data section is not binary');
      records.push(toEventRecord(inner, envelopeKey));
    }
  }
  return { records, envelopeKey };
}

/** What a receiver that asked for runtime metrics gets in delivery annotations. */
export interface PartitionRuntimeInfo {
  lastSequenceNumber: number;
  lastOffset: number;
  lastEnqueuedTimeMs: number;
}

/** Encodes a stored event for a receiver: the producer's sections plus the broker's annotations. */
export function encodeDelivery(event: StoredEvent, runtimeInfo?: PartitionRuntimeInfo): Buffer {
  const { record } = event;
  const items: Typed[] = [];
  if (record.annotations.length > 0) {
    const section = readSections(record.annotations)[0];
    const raw = section.value.value as Typed[];
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const key = String((raw[i] as { value: unknown }).value);
      if (!STAMPED.has(key)) items.push(raw[i], raw[i + 1]);
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
        types.wrap_map({
          last_enqueued_sequence_number: types.wrap_long(runtimeInfo.lastSequenceNumber),
          last_enqueued_offset: String(runtimeInfo.lastOffset),
          last_enqueued_time_utc: types.wrap_timestamp(runtimeInfo.lastEnqueuedTimeMs),
          runtime_info_retrieval_time_utc: types.wrap_timestamp(Date.now()),
        }, types.wrap_symbol),
      ),
    );
  }
  writer.write(types.described(types.wrap_ulong(MESSAGE_ANNOTATIONS), types.Map32(items)));
  const annotationBytes = writer.toBuffer();
  return Buffer.concat([
    record.message.subarray(0, record.annotationsAt),
    annotationBytes,
    record.message.subarray(record.annotationsAt),
  ]);
}
