/**
 * Ingest side of event messages: splitting the SDK's batch format into events and turning each into a
 * stored record. Sections are kept as raw bytes, so bodies and properties round-trip exactly.
 */
import type { EventRecord } from '../storage/partition-log.js';
import { AmqpScanError, binaryAt, scanSections, type SectionBounds } from './amqp-value-scanner.js';
import { BATCH_MESSAGE_FORMAT, DATA, DELIVERY_ANNOTATIONS, HEADER, MESSAGE_ANNOTATIONS, PARTITION_KEY } from './message-sections.js';
import { amqpTypes as types } from './rhea-codec.js';

const EMPTY = Buffer.alloc(0);

export class MalformedMessageError extends Error {}

/** Reads the string value of `x-opt-partition-key` from an encoded message-annotations section. */
function partitionKeyIn(section: Buffer): string | undefined {
  let value: { value?: unknown };
  try {
    value = new types.Reader(section).read() as unknown as { value?: unknown };
  } catch (error) {
    throw new MalformedMessageError(`cannot decode message annotations: ${(error as Error).message}`);
  }
  const items = value.value;
  if (!Array.isArray(items)) return undefined;
  for (let i = 0; i + 1 < items.length; i += 2) {
    if ((items[i] as { value?: unknown }).value === PARTITION_KEY) {
      const key = (items[i + 1] as { value?: unknown }).value;
      return typeof key === 'string' ? key : undefined;
    }
  }
  return undefined;
}

function sectionsOf(buffer: Buffer): SectionBounds[] {
  try {
    return scanSections(buffer);
  } catch (error) {
    if (error instanceof AmqpScanError) throw new MalformedMessageError(`cannot decode message sections: ${error.message}`);
    throw error;
  }
}

/** Turns one encoded message into a record: annotation sections are cut out and kept aside. */
export function toEventRecord(message: Buffer, fallbackPartitionKey?: string): EventRecord {
  const sections = sectionsOf(message);
  let annotationsAt = 0;
  let annotations: Buffer = EMPTY;
  let partitionKey = fallbackPartitionKey;
  let cut = false;
  for (const section of sections) {
    if (section.code === MESSAGE_ANNOTATIONS) {
      annotations = message.subarray(section.start, section.end);
      partitionKey = partitionKeyIn(annotations) ?? partitionKey;
      cut = true;
    } else if (section.code === DELIVERY_ANNOTATIONS) {
      cut = true;
    } else if (section.code === HEADER) {
      annotationsAt += section.end - section.start;
    }
  }
  if (!cut) return { message, annotationsAt, annotations, partitionKey };
  const kept = sections
    .filter((section) => section.code !== MESSAGE_ANNOTATIONS && section.code !== DELIVERY_ANNOTATIONS)
    .map((section) => message.subarray(section.start, section.end));
  return { message: Buffer.concat(kept), annotationsAt, annotations, partitionKey };
}

/** The events a transfer carries: every data section of a batch, or the message itself. */
export function splitTransfer(payload: Buffer, format: number): { records: EventRecord[]; envelopeKey?: string } {
  if (format !== BATCH_MESSAGE_FORMAT) {
    const record = toEventRecord(payload);
    return { records: [record], envelopeKey: record.partitionKey };
  }
  let envelopeKey: string | undefined;
  const records: EventRecord[] = [];
  for (const section of sectionsOf(payload)) {
    if (section.code === MESSAGE_ANNOTATIONS) {
      envelopeKey = partitionKeyIn(payload.subarray(section.start, section.end));
    } else if (section.code === DATA) {
      let inner: Buffer;
      try {
        inner = binaryAt(payload, section.valueAt);
      } catch (error) {
        throw new MalformedMessageError((error as Error).message);
      }
      records.push(toEventRecord(inner, envelopeKey));
    }
  }
  return { records, envelopeKey };
}
