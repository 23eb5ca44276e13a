/**
 * Chunk events built row by row as the bytes they travel as.
 *
 * Why bytes: a chunk gathers rows for a while (until it is full), and rows kept as arrays of
 * strings for that long outlive V8's young-generation collections, get copied into the old space
 * and die there, and at extract's row rate the old space and the peak RSS grew with it (the GC
 * trace: docs/benchmarks.md, "Extract memory").
 * Kept as JSON text in a few reused off-heap buffers, a waiting row costs the heap nothing.
 *
 * The body is exactly `JSON.stringify(event)` for the `ChunkEvent` with the same content: what the
 * Event Hubs SDK sends for an object body is those UTF-8 bytes in a data section, and a byte body
 * goes out as the same data section, so consumers decode the same event either way.
 */
import type { ChunkEnvelope, ChunkEvent, ChunkPosition } from './chunk-event.js';
import { chunkPositionProperties } from './chunk-event.js';
import { EtlError } from '../errors/etl-error.js';

/** Smallest pooled buffer. */
const MINIMUM_BUFFER_BYTES = 16 * 1024;

/**
 * Reused byte buffers in power-of-two sizes, so that a returned buffer fits the next request of
 * its size class exactly. Holds only what was handed back: at most what was in use at once.
 */
class BufferPool {
  private readonly free = new Map<number, Buffer[]>();

  take(minimumBytes: number): Buffer {
    const size = BufferPool.sizeClass(minimumBytes);
    return this.free.get(size)?.pop() ?? Buffer.allocUnsafeSlow(size);
  }

  give(buffer: Buffer): void {
    const list = this.free.get(buffer.length);
    if (list) list.push(buffer);
    else this.free.set(buffer.length, [buffer]);
  }

  static sizeClass(bytes: number): number {
    let size = MINIMUM_BUFFER_BYTES;
    while (size < bytes) size *= 2;
    return size;
  }
}

const COMMA = 0x2c;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/** An append-only run of bytes in a pooled buffer. */
class ByteRun {
  private buffer: Buffer;
  length = 0;

  constructor(
    private readonly pool: BufferPool,
    initialBytes: number,
  ) {
    this.buffer = pool.take(initialBytes);
  }

  /** Appends text as UTF-8. */
  write(text: string): void {
    // A UTF-16 code unit never takes more than 3 bytes in UTF-8.
    this.reserve(text.length * 3);
    this.length += this.buffer.write(text, this.length, 'utf8');
  }

  /** Appends one ASCII character (a separator). */
  writeByte(byte: number): void {
    this.reserve(1);
    this.buffer[this.length] = byte;
    this.length += 1;
  }

  /** Appends a non-negative integer in decimal. */
  writeInteger(value: number): void {
    const text = String(value);
    this.reserve(text.length + 2);
    const end = this.copyPlainAscii(text, this.length);
    if (end < 0) this.write(JSON.stringify(text));
    else this.length = end;
  }

  /**
   * Appends `text` as a JSON string, the same bytes as `JSON.stringify(text)`. Printable ASCII with
   * nothing to escape (nearly every CSV field) is copied byte by byte without building a string.
   */
  writeJsonString(text: string): void {
    this.reserve(text.length + 2);
    this.buffer[this.length] = QUOTE;
    const end = this.copyPlainAscii(text, this.length + 1);
    if (end < 0) {
      this.write(JSON.stringify(text));
      return;
    }
    this.buffer[end] = QUOTE;
    this.length = end + 1;
  }

  /**
   * Copies `text` byte by byte to `position` (room reserved by the caller) and returns where it ends,
   * or -1 when it holds a character JSON escapes or one beyond ASCII: the caller then writes it over.
   */
  private copyPlainAscii(text: string, position: number): number {
    const buffer = this.buffer;
    const length = text.length;
    let at = position;
    for (let index = 0; index < length; index += 1) {
      const code = text.charCodeAt(index);
      // Escapes or multi-byte characters: JSON.stringify knows the rules.
      if (code < 0x20 || code > 0x7e || code === QUOTE || code === BACKSLASH) return -1;
      buffer[at++] = code;
    }
    return at;
  }

  copyTo(target: Buffer, offset: number): number {
    return this.buffer.copy(target, offset, 0, this.length);
  }

  /** Hands the storage back to the pool; the run must not be used afterwards. */
  release(): void {
    this.pool.give(this.buffer);
    this.buffer = Buffer.alloc(0);
    this.length = 0;
  }

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    const larger = this.pool.take(Math.max(this.buffer.length * 2, this.length + bytes));
    this.buffer.copy(larger, 0, 0, this.length);
    this.pool.give(this.buffer);
    this.buffer = larger;
  }
}

/** The rows of one chunk being gathered, already encoded. Get one from `ChunkEventEncoder.startChunk`. */
export class ChunkRows {
  private readonly rowNumbers: ByteRun;
  private readonly rows: ByteRun;
  private count = 0;
  private first = 0;
  private last = 0;
  private spent = false;

  /** @internal built by ChunkEventEncoder */
  constructor(pool: BufferPool, expected: { rowNumberBytes: number; rowBytes: number }) {
    this.rowNumbers = new ByteRun(pool, expected.rowNumberBytes);
    this.rows = new ByteRun(pool, expected.rowBytes);
  }

  get rowCount(): number {
    return this.count;
  }

  /** Appends one row: its data row number and its fields in the dataset's column order. */
  add(rowNumber: number, fields: readonly string[]): void {
    if (this.spent) throw new EtlError('INTERNAL', 'a row was added to a chunk already encoded');
    if (this.count === 0) this.first = rowNumber;
    else {
      this.rowNumbers.writeByte(COMMA);
      this.rows.writeByte(COMMA);
    }
    this.last = rowNumber;
    this.count += 1;
    this.rowNumbers.writeInteger(rowNumber);
    const rows = this.rows;
    rows.writeByte(OPEN_BRACKET);
    for (let index = 0; index < fields.length; index += 1) {
      if (index > 0) rows.writeByte(COMMA);
      rows.writeJsonString(fields[index] as string);
    }
    rows.writeByte(CLOSE_BRACKET);
  }

  /** @internal used by ChunkEventEncoder.encode */
  drainInto(target: Buffer, offset: number, middle: Buffer): number {
    if (this.spent) throw new EtlError('INTERNAL', 'a chunk was encoded twice');
    this.spent = true;
    let position = offset + this.rowNumbers.copyTo(target, offset);
    position += middle.copy(target, position);
    position += this.rows.copyTo(target, position);
    this.rowNumbers.release();
    this.rows.release();
    return position;
  }

  /** @internal */
  encodedBytes(): { rowNumberBytes: number; rowBytes: number } {
    return { rowNumberBytes: this.rowNumbers.length, rowBytes: this.rows.length };
  }

  /** @internal */
  position(chunkIndex: number): ChunkPosition {
    return { chunkIndex, firstRow: this.first, lastRow: this.last, rowCount: this.count };
  }
}

/** A chunk event ready to publish. Call `release` once the publisher no longer needs `body`. */
export interface EncodedChunkEvent {
  /** UTF-8 JSON of the whole `ChunkEvent`. */
  readonly body: Buffer;
  readonly properties: Record<string, string | number>;
  release(): void;
}

const MIDDLE = Buffer.from('],"rows":[', 'utf8');
const END = Buffer.from(']}', 'utf8');

/**
 * Encodes the chunk events of one file. Storage is pooled per encoder, so its size follows the
 * chunks that are gathering or in flight at once, never the file's size.
 */
export class ChunkEventEncoder {
  private readonly pool = new BufferPool();
  /** The largest chunk so far: a new chunk starts with room for as much, so it rarely has to grow. */
  private largest = { rowNumberBytes: 0, rowBytes: 0 };

  constructor(private readonly envelope: ChunkEnvelope) {}

  startChunk(): ChunkRows {
    return new ChunkRows(this.pool, this.largest);
  }

  /** The event for `rows` as chunk `chunkIndex`. `rows` is spent: its storage goes back to the pool. */
  encode(rows: ChunkRows, chunkIndex: number): EncodedChunkEvent {
    const envelope = this.envelope;
    // Same keys in the same order as a ChunkEvent literal, so the bytes equal JSON.stringify(event).
    const head: Omit<ChunkEvent, 'rowNumbers' | 'rows'> = {
      type: envelope.type,
      v: envelope.v,
      dataset: envelope.dataset,
      datasetVersion: envelope.datasetVersion,
      fileId: envelope.fileId,
      blobName: envelope.blobName,
      chunkIndex,
    };
    const headText = `${JSON.stringify(head).slice(0, -1)},"rowNumbers":[`;
    const sizes = rows.encodedBytes();
    if (sizes.rowNumberBytes > this.largest.rowNumberBytes || sizes.rowBytes > this.largest.rowBytes) {
      this.largest = {
        rowNumberBytes: Math.max(sizes.rowNumberBytes, this.largest.rowNumberBytes),
        rowBytes: Math.max(sizes.rowBytes, this.largest.rowBytes),
      };
    }
    const size = Buffer.byteLength(headText, 'utf8') + sizes.rowNumberBytes + sizes.rowBytes + MIDDLE.length + END.length;
    const storage = this.pool.take(size);
    let position = storage.write(headText, 0, 'utf8');
    position = rows.drainInto(storage, position, MIDDLE);
    position += END.copy(storage, position);
    let released = false;
    return {
      body: storage.subarray(0, position),
      properties: chunkPositionProperties(envelope, rows.position(chunkIndex)),
      release: () => {
        if (released) return;
        released = true;
        this.pool.give(storage);
      },
    };
  }
}
