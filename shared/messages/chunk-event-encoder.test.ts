import { describe, expect, it } from 'vitest';
import { CHUNK_EVENT_TYPE, chunkEventProperties, parseChunkEvent, type ChunkEnvelope, type ChunkEvent } from './chunk-event.js';
import { ChunkEventEncoder } from './chunk-event-encoder.js';

const envelope: ChunkEnvelope = {
  type: CHUNK_EVENT_TYPE,
  v: 1,
  dataset: 'd',
  datasetVersion: 3,
  fileId: 'f00d',
  blobName: 'd/über "quoted" \\ name.csv',
};

/** Fields that JSON must escape or encode as multi-byte UTF-8, beside plain ones. */
const AWKWARD_FIELDS = [
  'plain',
  '',
  'say "hi"',
  'back\\slash',
  'tab\there',
  'line\nbreak',
  'nul\u0000',
  'ümlaut',
  '日本語',
  'emoji 🚀',
  '\u2028sep',
];

function rowsOf(count: number, seed: number): string[][] {
  return Array.from({ length: count }, (_, row) => [
    String(seed * 1000 + row),
    AWKWARD_FIELDS[(row + seed) % AWKWARD_FIELDS.length] as string,
    `v${row % 7}`,
  ]);
}

function encodeChunk(encoder: ChunkEventEncoder, chunkIndex: number, rowNumbers: readonly number[], rows: readonly string[][]) {
  const chunk = encoder.startChunk();
  rows.forEach((fields, index) => chunk.add(rowNumbers[index] as number, fields));
  expect(chunk.rowCount).toBe(rows.length);
  return encoder.encode(chunk, chunkIndex);
}

describe('ChunkEventEncoder', () => {
  it('writes exactly the bytes JSON.stringify gives for the same event, with the same properties', () => {
    const encoder = new ChunkEventEncoder(envelope);
    for (const [chunkIndex, count] of [
      [0, 1],
      [7, 40],
      [12345, 3000], // larger than the first pooled buffer: storage has to grow
    ] as const) {
      const rows = rowsOf(count, chunkIndex);
      const rowNumbers = rows.map((_, index) => chunkIndex * 10_000 + index * 2 + 1);
      const event: ChunkEvent = { ...envelope, chunkIndex, rowNumbers, rows };
      const encoded = encodeChunk(encoder, chunkIndex, rowNumbers, rows);
      expect(encoded.body.equals(Buffer.from(JSON.stringify(event), 'utf8'))).toBe(true);
      expect(encoded.properties).toEqual(chunkEventProperties(event));
      expect(parseChunkEvent(JSON.parse(encoded.body.toString('utf8')), () => ({ columnCount: 3, version: 3 }))).toEqual(event);
      encoded.release();
    }
  });

  it('encodes an empty chunk as a valid event', () => {
    const encoder = new ChunkEventEncoder(envelope);
    const encoded = encoder.encode(encoder.startChunk(), 0);
    expect(JSON.parse(encoded.body.toString('utf8'))).toEqual({ ...envelope, chunkIndex: 0, rowNumbers: [], rows: [] });
    expect(encoded.properties).toMatchObject({ firstRow: 0, lastRow: 0, rowCount: 0 });
  });

  it('refuses to add to or encode a chunk that was already encoded', () => {
    const encoder = new ChunkEventEncoder(envelope);
    const chunk = encoder.startChunk();
    chunk.add(1, ['a']);
    encoder.encode(chunk, 0);
    expect(() => chunk.add(2, ['b'])).toThrow(/already encoded/);
    expect(() => encoder.encode(chunk, 1)).toThrow(/encoded twice/);
  });

  it('reuses released storage without touching bodies that are still held', () => {
    const encoder = new ChunkEventEncoder(envelope);
    const held = encodeChunk(encoder, 0, [1, 2], rowsOf(2, 1));
    const heldBytes = Buffer.from(held.body);
    // Chunks gathered and released while `held` is in flight, as extract does with several partitions.
    for (let chunkIndex = 1; chunkIndex <= 20; chunkIndex += 1) {
      const rows = rowsOf(50 + chunkIndex, chunkIndex);
      const encoded = encodeChunk(
        encoder,
        chunkIndex,
        rows.map((_, index) => index + 1),
        rows,
      );
      expect(JSON.parse(encoded.body.toString('utf8')).rows).toEqual(rows);
      encoded.release();
      encoded.release(); // a second release must not put the storage in the pool twice
    }
    expect(held.body.equals(heldBytes)).toBe(true);
    const first = encodeChunk(encoder, 21, [1], [['a']]);
    const second = encodeChunk(encoder, 22, [1], [['b']]);
    expect(first.body.buffer === second.body.buffer && first.body.byteOffset === second.body.byteOffset).toBe(false);
    expect(JSON.parse(first.body.toString('utf8')).rows).toEqual([['a']]);
  });
});
