/**
 * Streaming CSV reading: a thin async shell around the pure CsvChunkParser. Memory stays bounded
 * by the coalescing size plus one record, whatever the file size.
 */
import { CsvChunkParser, type CsvItem, type CsvReadOptions } from './csv-chunk-parser.js';

export type { CsvItem, CsvReadOptions } from './csv-chunk-parser.js';
export { DEFAULT_MAX_RECORD_BYTES } from './csv-chunk-parser.js';

/** Small input chunks are gathered to this size first: the per-chunk cost of csv-parse is fixed. */
const COALESCE_BYTES = 64 * 1024;

function byteLength(chunk: Uint8Array | string): number {
  return typeof chunk === 'string' ? chunk.length : chunk.byteLength;
}

/**
 * Reads CSV text (UTF-8, optional BOM, LF or CRLF line ends, RFC 4180 quotes) as a header item
 * followed by one `row` or `error` item per data row, in file order. Every data row appears
 * exactly once, so `rows + errors` is the file's row count. Empty lines are skipped and not
 * counted; an empty file yields nothing.
 *
 * @throws EtlError('UNREADABLE_FILE') when the header itself cannot be read (malformed quotes,
 *   invalid UTF-8, longer than maxRecordBytes): nothing after it can be trusted.
 */
export async function* readCsv(
  input: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>,
  options?: CsvReadOptions,
): AsyncIterable<CsvItem> {
  const parser = new CsvChunkParser(options);
  let pending: (Uint8Array | string)[] = [];
  let pendingBytes = 0;
  const drain = (): CsvItem[] => {
    const chunk = pending.length === 1 ? (pending[0] as Uint8Array | string) : Buffer.concat(pending.map((part) => (typeof part === 'string' ? Buffer.from(part, 'utf8') : part)));
    pending = [];
    pendingBytes = 0;
    return parser.push(chunk);
  };
  for await (const chunk of input) {
    pending.push(chunk);
    pendingBytes += byteLength(chunk);
    if (pendingBytes < COALESCE_BYTES) continue;
    for (const item of drain()) yield item;
  }
  if (pending.length > 0) for (const item of drain()) yield item;
  for (const item of parser.finish()) yield item;
}
