/**
 * Streaming CSV reading: a thin async shell around the pure CsvChunkParser. Memory stays bounded
 * by the coalescing size plus one record, whatever the file size.
 */
import { CsvChunkParser, type CsvItem, type CsvReadOptions } from './csv-chunk-parser.js';

export type { CsvItem, CsvReadOptions } from './csv-chunk-parser.js';
export { DEFAULT_MAX_RECORD_BYTES } from './csv-chunk-parser.js';

/** Small input chunks are gathered to this size first: each push has a fixed cost. */
const COALESCE_BYTES = 64 * 1024;

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
  const parser = new CsvChunkParser(options);
  // Chunks of one kind (text or bytes) are gathered; text is joined as text so that a surrogate
  // pair split across chunks stays whole.
  let texts: string[] = [];
  let byteChunks: Uint8Array[] = [];
  let pendingSize = 0;
  const drain = (): CsvItem[] => {
    let items: CsvItem[] = [];
    if (texts.length > 0) items = parser.push(texts.length === 1 ? (texts[0] as string) : texts.join(''));
    else if (byteChunks.length > 0) items = parser.push(byteChunks.length === 1 ? (byteChunks[0] as Uint8Array) : Buffer.concat(byteChunks));
    texts = [];
    byteChunks = [];
    pendingSize = 0;
    return items;
  };
  for await (const chunk of input) {
    if (typeof chunk === 'string') {
      if (byteChunks.length > 0) for (const item of drain()) yield item;
      texts.push(chunk);
      pendingSize += chunk.length;
    } else {
      if (texts.length > 0) for (const item of drain()) yield item;
      byteChunks.push(chunk);
      pendingSize += chunk.byteLength;
    }
    if (pendingSize >= COALESCE_BYTES) for (const item of drain()) yield item;
  }
  for (const item of drain()) yield item;
  for (const item of parser.finish()) yield item;
}
