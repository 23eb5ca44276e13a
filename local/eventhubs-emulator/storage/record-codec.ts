import { crc32 } from 'node:zlib';
import { RECORD_HEADER_BYTES, type EventRecord, type StoredEvent } from './partition-log.js';

/**
 * The on-disk form of one event, little endian:
 *
 * | bytes | field |
 * | --- | --- |
 * | 4 | length of everything after this field |
 * | 4 | CRC-32 of everything after the CRC |
 * | 8 | sequence number (float64: exact below 2^53) |
 * | 8 | offset |
 * | 8 | enqueued time, ms since the epoch |
 * | 4 | annotationsAt |
 * | 4 | annotations length |
 * | 4 | partition key length, 0xFFFFFFFF when there is none |
 * | … | partition key (UTF-8), annotations, message |
 *
 * The length and CRC let recovery tell a complete record from a torn one.
 */
const NO_KEY = 0xffffffff;

export function encodeRecord(event: StoredEvent): Buffer {
  const { record } = event;
  const key = record.partitionKey === undefined ? undefined : Buffer.from(record.partitionKey, 'utf8');
  const total = RECORD_HEADER_BYTES + (key?.length ?? 0) + record.annotations.length + record.message.length;
  const buffer = Buffer.allocUnsafe(total);
  buffer.writeUInt32LE(total - 4, 0);
  buffer.writeDoubleLE(event.sequenceNumber, 8);
  buffer.writeDoubleLE(event.offset, 16);
  buffer.writeDoubleLE(event.enqueuedTimeMs, 24);
  buffer.writeUInt32LE(record.annotationsAt, 32);
  buffer.writeUInt32LE(record.annotations.length, 36);
  buffer.writeUInt32LE(key ? key.length : NO_KEY, 40);
  let at = RECORD_HEADER_BYTES;
  if (key) at += key.copy(buffer, at);
  at += record.annotations.copy(buffer, at);
  record.message.copy(buffer, at);
  buffer.writeUInt32LE(crc32(buffer.subarray(8)), 4);
  return buffer;
}

export type DecodeResult =
  | { kind: 'record'; event: StoredEvent; size: number }
  /** Not enough bytes for a whole record: a torn tail when at the end of the file. */
  | { kind: 'incomplete' }
  /** Bytes that are not a valid record. */
  | { kind: 'corrupt'; reason: string };

/** Decodes the record at `at`; payload buffers are views into `buffer`. */
export function decodeRecord(buffer: Buffer, at: number): DecodeResult {
  if (buffer.length - at < RECORD_HEADER_BYTES) return { kind: 'incomplete' };
  const size = buffer.readUInt32LE(at) + 4;
  if (size < RECORD_HEADER_BYTES) return { kind: 'corrupt', reason: `record length ${size} is too small` };
  if (buffer.length - at < size) return { kind: 'incomplete' };
  const body = buffer.subarray(at + 8, at + size);
  if (crc32(body) !== buffer.readUInt32LE(at + 4)) return { kind: 'corrupt', reason: 'checksum mismatch' };
  const annotationsAt = buffer.readUInt32LE(at + 32);
  const annotationsLength = buffer.readUInt32LE(at + 36);
  const keyLength = buffer.readUInt32LE(at + 40);
  const keyBytes = keyLength === NO_KEY ? 0 : keyLength;
  if (RECORD_HEADER_BYTES + keyBytes + annotationsLength > size) return { kind: 'corrupt', reason: 'field lengths overrun the record' };
  let position = at + RECORD_HEADER_BYTES;
  const partitionKey = keyLength === NO_KEY ? undefined : buffer.toString('utf8', position, position + keyLength);
  position += keyBytes;
  const annotations = buffer.subarray(position, position + annotationsLength);
  position += annotationsLength;
  const message = buffer.subarray(position, at + size);
  if (annotationsAt > message.length) return { kind: 'corrupt', reason: 'annotation position beyond the message' };
  const record: EventRecord = { message, annotationsAt, annotations, partitionKey };
  return {
    kind: 'record',
    size,
    event: {
      sequenceNumber: buffer.readDoubleLE(at + 8),
      offset: buffer.readDoubleLE(at + 16),
      enqueuedTimeMs: buffer.readDoubleLE(at + 24),
      record,
    },
  };
}
