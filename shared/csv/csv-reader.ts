/**
 * Streaming CSV reading: a thin async shell around the pure CsvChunkParser. Memory stays bounded
 * by the coalescing size plus one record, whatever the file size.
 */
import { CsvChunkParser, type CsvItem, type CsvReadOptions as ParserOptions } from './csv-chunk-parser.js';
import { TextDecoder } from 'node:util';
import type { CsvEncoding } from '../datasets/dataset-declaration.js';

export type { CsvItem, CsvParseDialect } from './csv-chunk-parser.js';

export interface CsvReadOptions extends ParserOptions {
  /** The encoding of a file without a byte order mark (default UTF-8). A BOM always wins. */
  readonly encoding?: CsvEncoding;
}

/**
 * Byte chunks as the parser takes them: UTF-8 bytes pass through untouched (the fast path);
 * UTF-16 and Windows-1252 are decoded to text, as a stream (a character split between chunks is
 * kept whole). A byte order mark decides the encoding whatever was declared: UTF-8 (EF BB BF),
 * UTF-16 LE (FF FE), UTF-16 BE (FE FF).
 */
async function* inUtf8(
  input: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>,
  declared: CsvEncoding,
): AsyncIterable<Uint8Array | string> {
  let decoder: TextDecoder | undefined;
  let head: Buffer | undefined = Buffer.alloc(0);
  for await (const chunk of input) {
    if (typeof chunk === 'string') {
      yield chunk;
      continue;
    }
    if (head !== undefined) {
      // The first bytes decide the encoding: gather at least three.
      head = Buffer.concat([head, chunk]);
      if (head.length < 3) continue;
      const bom =
        head[0] === 0xff && head[1] === 0xfe
          ? 'utf-16le'
          : head[0] === 0xfe && head[1] === 0xff
            ? 'utf-16be'
            : head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf
              ? 'utf-8'
              : undefined;
      const encoding = bom ?? declared;
      if (encoding !== 'utf-8') decoder = new TextDecoder(encoding);
      const first = head;
      head = undefined;
      if (decoder === undefined) yield first;
      else yield decoder.decode(first, { stream: true });
      continue;
    }
    if (decoder === undefined) yield chunk;
    else yield decoder.decode(chunk, { stream: true });
  }
  if (head !== undefined && head.length > 0) {
    // A file of fewer than three bytes: no room for a BOM that changes anything but UTF-16's two.
    if (head[0] === 0xff && head[1] === 0xfe) yield new TextDecoder('utf-16le').decode(head);
    else if (head[0] === 0xfe && head[1] === 0xff) yield new TextDecoder('utf-16be').decode(head);
    else if (declared === 'utf-8') yield head;
    else yield new TextDecoder(declared).decode(head);
  } else if (decoder !== undefined) {
    const rest = decoder.decode();
    if (rest !== '') yield rest;
  }
}
export { DEFAULT_MAX_RECORD_BYTES } from './csv-chunk-parser.js';

/**
 * Small input chunks are gathered to this size first: each push has a fixed cost. Kept below the
 * 64 KiB that sockets deliver (downloads arrive in chunks just under it), so that those go to the
 * parser as they are instead of being copied into pairs.
 */
const COALESCE_BYTES = 32 * 1024;

/**
 * Reads CSV text (UTF-8, optional BOM, LF or CRLF line ends, RFC 4180 quotes) as a header item
 * followed by one `row` or `error` item per data row, in file order. Every data row appears
 * exactly once, so `rows + errors` is the file's row count. Empty lines are skipped and not
 * counted; an empty file yields nothing.
 *
 * @throws EtlError('UNREADABLE_FILE') when the header itself cannot be read (malformed quotes,
 *   invalid UTF-8, longer than maxRecordBytes, CR-only line ends): nothing after it can be trusted.
 */
export async function* readCsv(
  input: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>,
  options?: CsvReadOptions,
): AsyncIterable<CsvItem> {
  for await (const items of readCsvBatches(input, options)) yield* items;
}

/**
 * The items of `readCsv`, in the same order, a batch at a time (those completed by each gathered
 * input chunk; never an empty batch). For hot loops: an async generator costs a promise and a
 * result object per yield, which per row is a large share of what reading a row allocates.
 */
export async function* readCsvBatches(
  input: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>,
  options?: CsvReadOptions,
): AsyncIterable<readonly CsvItem[]> {
  const parser = new CsvChunkParser(options);
  input = inUtf8(input, options?.encoding ?? 'utf-8');
  // Chunks of one kind (text or bytes) are gathered; text is joined as text so that a surrogate
  // pair split across chunks stays whole.
  let texts: string[] = [];
  let byteChunks: Uint8Array[] = [];
  let pendingSize = 0;
  const drain = (): CsvItem[] => {
    let items: CsvItem[] = [];
    if (texts.length > 0) items = parser.push(texts.length === 1 ? (texts[0] as string) : texts.join(''));
    else if (byteChunks.length > 0)
      items = parser.push(byteChunks.length === 1 ? (byteChunks[0] as Uint8Array) : Buffer.concat(byteChunks));
    texts = [];
    byteChunks = [];
    pendingSize = 0;
    return items;
  };
  for await (const chunk of input) {
    // A change of kind (text after bytes or bytes after text) drains what was gathered first.
    if (typeof chunk === 'string' ? byteChunks.length > 0 : texts.length > 0) {
      const items = drain();
      if (items.length > 0) yield items;
    }
    if (typeof chunk === 'string') {
      texts.push(chunk);
      pendingSize += chunk.length;
    } else {
      byteChunks.push(chunk);
      pendingSize += chunk.byteLength;
    }
    if (pendingSize >= COALESCE_BYTES) {
      const items = drain();
      if (items.length > 0) yield items;
    }
  }
  const items = drain();
  for (const item of parser.finish()) items.push(item);
  if (items.length > 0) yield items;
}
