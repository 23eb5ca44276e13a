/**
 * The pure CSV core: bytes in, header/row/error items out, no I/O (the fast-csv model). The stream
 * shell is csv-reader.ts.
 *
 * Work is split in two:
 * - A byte scanner here finds record boundaries (RFC 4180 quoting; LF or CRLF ends a record) and
 *   judges each record as a whole: quotes well formed, size within the limit, valid UTF-8, right
 *   field count. A bad record becomes an error item and reading goes on at the next record.
 * - csv-parse, the kept CSV library, turns the runs of good records into fields.
 *
 * Why not csv-parse alone: with `skip_records_with_error`, a record over `max_record_size` makes
 * it drop the rest of the buffer it was given, and a skipped error cannot be tied to a row number
 * reliably; it also decodes invalid UTF-8 into U+FFFD silently. The scanner gives each record a
 * row number and bounded memory before csv-parse sees it, and it hands csv-parse only records it
 * can parse, so csv-parse's output maps one to one onto the scanner's records (checked per run).
 */
import { isUtf8 } from 'node:buffer';
import { parse as parseCsvSync, type Options as CsvParseOptions } from 'csv-parse/sync';
import { EtlError } from '../errors/etl-error.js';

export type CsvItem =
  | { kind: 'header'; fields: string[] }
  /** rowNumber: 1-based data row; the header and empty lines are not counted. */
  | { kind: 'row'; rowNumber: number; fields: string[]; raw: string }
  | { kind: 'error'; rowNumber: number; raw: string; reason: string };

/** The file's dialect as the parser needs it: single ASCII characters (CsvDialect in the declaration). */
export interface CsvParseDialect {
  readonly delimiter: string;
  readonly quote: string;
  /** Escapes a quote inside a quoted field; the quote itself (doubled, RFC 4180) by default. */
  readonly escape: string;
  /** Lines before the header to skip. */
  readonly skipRows: number;
  /** Lines starting with this character are skipped and not counted. */
  readonly comment?: string;
}

export interface CsvReadOptions {
  /** Longest record, in bytes, before it becomes an error item. Default 1 MiB. */
  readonly maxRecordBytes?: number;
  /** Default: comma, double quote escaped by doubling, no lines skipped, no comments. */
  readonly dialect?: CsvParseDialect;
  /**
   * Split records without quotes at their commas instead of handing them to csv-parse. Same
   * fields either way (a differential test checks it), and faster (docs/benchmarks.md, "The CSV
   * reader"). Records with quoted fields always go to csv-parse: quoting rules are the library's
   * job. Default true.
   */
  readonly splitUnquotedRecords?: boolean;
}

export const DEFAULT_MAX_RECORD_BYTES = 1024 * 1024;
/** How much of an oversized record is kept as its `raw` text. */
const OVERSIZE_PREVIEW_BYTES = 1024;

const LF = 0x0a;
const CR = 0x0d;

// Scanner states (plain numbers: the scan loop runs once per byte).
const FIELD_START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
/** A quote inside a quoted field: it closes the field or, doubled, escapes a quote. */
const QUOTE_IN_QUOTED = 3;
/** CR after a closing quote: only LF may follow. */
const CARRIAGE_RETURN_AFTER_QUOTE = 4;
/** After the escape character inside a quoted field (when it is not the quote): the next byte is text. */
const ESCAPED_IN_QUOTED = 5;
/** A line skipped whole: one of the lines before the header, or a comment. */
const SKIPPED_LINE = 6;

/** A complete record found by the scanner, as offsets into the current buffer. */
interface ScannedRecord {
  readonly start: number;
  /** End of the content, line terminator excluded. */
  readonly end: number;
  readonly rowNumber: number;
  readonly fieldCount: number;
  /** Whether any field is quoted: only those need csv-parse (see `flushRun`). */
  readonly quoted: boolean;
  /** Text and fields of an unquoted record, when the fast path already split it. */
  readonly raw?: string;
  readonly fields?: string[];
}

/** What csv-parse is given for quoted records (the differential test gives its oracle the same). */
export function csvParseOptions(dialect: CsvParseDialect): CsvParseOptions {
  return {
    bom: false,
    delimiter: dialect.delimiter,
    quote: dialect.quote,
    escape: dialect.escape,
    record_delimiter: ['\r\n', '\n'],
    relax_column_count: true,
    skip_empty_lines: true,
  };
}

export const DEFAULT_DIALECT: CsvParseDialect = { delimiter: ',', quote: '"', escape: '"', skipRows: 0 };

/** The byte of a one-character ASCII dialect setting. */
function asciiByte(what: string, text: string): number {
  if (text.length !== 1 || text.charCodeAt(0) > 0x7f || text === '\n' || text === '\r') {
    throw new EtlError(
      'INVALID_CONFIG',
      `the CSV ${what} must be one ASCII character other than a line break, got ${JSON.stringify(text)}`,
    );
  }
  return text.charCodeAt(0);
}

function decodeLossy(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

/**
 * Incremental CSV parser. Feed chunks with `push`, then call `finish` once; both return the items
 * completed so far, in file order. Memory is bounded by the chunk size plus `maxRecordBytes`.
 */
export class CsvChunkParser {
  private readonly maxRecordBytes: number;
  private readonly splitUnquoted: boolean;
  private readonly delimiterText: string;
  private readonly delimiter: number;
  private readonly quote: number;
  /** The escape byte, or -1 when quotes escape themselves by doubling. */
  private readonly escape: number;
  /** The comment byte, or -1 for none. */
  private readonly comment: number;
  private readonly parseOptions: CsvParseOptions;
  /** Lines before the header still to skip. */
  private linesToSkip: number;
  /** Bytes of the record in progress carried over from the previous chunk (empty when oversized). */
  private carry: Buffer = Buffer.alloc(0);
  private bomChecked = false;
  private header: string[] | undefined;
  private rowNumber = 0;
  private finished = false;

  // Scanner state of the record in progress.
  private state: number = FIELD_START;
  private fieldCount = 1;
  private quoteProblem: string | undefined;
  /** Bytes of the record in progress already scanned (including dropped ones when oversized). */
  private recordBytes = 0;
  /** Set once the record in progress passed maxRecordBytes: its start, kept for `raw`. */
  private oversizePreview: string | undefined;
  private previousWasCarriageReturn = false;
  private recordHasQuotes = false;
  /** A high surrogate that ended the last text chunk (see `encode`). */
  private highSurrogate = '';
  private finishing = false;

  constructor(options: CsvReadOptions = {}) {
    const maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
    if (!Number.isInteger(maxRecordBytes) || maxRecordBytes < 1) {
      throw new EtlError('INVALID_CONFIG', `maxRecordBytes must be a positive integer, got ${maxRecordBytes}`);
    }
    this.maxRecordBytes = maxRecordBytes;
    this.splitUnquoted = options.splitUnquotedRecords ?? true;
    const dialect = options.dialect ?? DEFAULT_DIALECT;
    this.delimiterText = dialect.delimiter;
    this.delimiter = asciiByte('delimiter', dialect.delimiter);
    this.quote = asciiByte('quote', dialect.quote);
    const escape = asciiByte('escape', dialect.escape);
    this.escape = escape === this.quote ? -1 : escape;
    this.comment = dialect.comment === undefined ? -1 : asciiByte('comment', dialect.comment);
    this.linesToSkip = dialect.skipRows;
    this.parseOptions = csvParseOptions(dialect);
  }

  push(chunk: Uint8Array | string): CsvItem[] {
    if (this.finished) throw new EtlError('INTERNAL', 'CsvChunkParser.push after finish');
    const bytes = typeof chunk === 'string' ? this.encode(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (bytes.length === 0) return [];
    if (this.carry.length === 0) return this.scan(bytes, { atEnd: false });
    // The record in progress most often ends at the chunk's first line end: only that much is
    // joined to the carried bytes, and the rest is scanned where it lies instead of being copied.
    const lineEnd = bytes.indexOf(LF);
    if (lineEnd < 0 || lineEnd === bytes.length - 1) return this.scan(Buffer.concat([this.carry, bytes]), { atEnd: false });
    const items = this.scan(Buffer.concat([this.carry, bytes.subarray(0, lineEnd + 1)]), { atEnd: false });
    if (this.carry.length > 0) {
      // The line end was inside quotes (or the BOM check is still waiting): join the rest as well.
      for (const item of this.scan(Buffer.concat([this.carry, bytes.subarray(lineEnd + 1)]), { atEnd: false })) items.push(item);
    } else {
      for (const item of this.scan(bytes.subarray(lineEnd + 1), { atEnd: false })) items.push(item);
    }
    return items;
  }

  finish(): CsvItem[] {
    if (this.finished) return [];
    this.finishing = true;
    const items = this.highSurrogate === '' ? [] : this.push('');
    this.finished = true;
    for (const item of this.scan(this.carry, { atEnd: true })) items.push(item);
    return items;
  }

  /**
   * UTF-8 bytes of a text chunk. A chunk may end between the two halves of a surrogate pair
   * (an emoji, say); the first half waits for the next chunk instead of becoming U+FFFD.
   */
  private encode(text: string): Buffer {
    let whole = this.highSurrogate + text;
    this.highSurrogate = '';
    const last = whole.charCodeAt(whole.length - 1);
    if (last >= 0xd800 && last <= 0xdbff && !this.finishing) {
      this.highSurrogate = whole.slice(-1);
      whole = whole.slice(0, -1);
    }
    return Buffer.from(whole, 'utf8');
  }

  // One loop kept whole, as csv-parse's is: its state lives in locals, written back once per chunk (docs/benchmarks.md, "The CSV reader").
  private scan(buffer: Buffer, { atEnd }: { readonly atEnd: boolean }): CsvItem[] {
    let position = 0;
    if (!this.bomChecked) {
      if (buffer.length < 3 && !atEnd) {
        this.carry = buffer;
        return [];
      }
      this.bomChecked = true;
      if (buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf) position = 3;
    }

    const items: CsvItem[] = [];
    const run: ScannedRecord[] = [];
    // Where the record in progress starts in `buffer`: the carry, if any, is its beginning.
    let recordStart = position;
    // Bytes of the record in progress that came from the carry were scanned already.
    let scanFrom = position + (this.oversizePreview === undefined ? this.recordBytes : 0);

    let state = this.state;
    let fieldCount = this.fieldCount;
    let previousWasCarriageReturn = this.previousWasCarriageReturn;
    let hasQuotes = this.recordHasQuotes;
    const length = buffer.length;
    // Index of the byte that takes the record in progress past maxRecordBytes.
    let oversizeAt = scanFrom + this.maxRecordBytes - this.recordBytes;

    const DELIMITER = this.delimiter;
    const QUOTE = this.quote;
    const ESCAPE = this.escape;
    // Position of the next quote at or after the fast path's record start (length: none left).
    let nextQuote = -1;
    let i = scanFrom;
    while (i < length) {
      // A line skipped whole (before the header, or a comment): to its LF, not judged, not counted.
      // Only checked at a record's start (a skipped line carried over from the last chunk is one).
      if (
        i === recordStart &&
        (state === SKIPPED_LINE ||
          (state === FIELD_START &&
            fieldCount === 1 &&
            this.oversizePreview === undefined &&
            (this.linesToSkip > 0 || buffer[i] === this.comment)))
      ) {
        if (state !== SKIPPED_LINE && buffer[i] !== this.comment) this.linesToSkip -= 1;
        const lineEnd = buffer.indexOf(LF, i);
        if (lineEnd < 0) {
          state = SKIPPED_LINE;
          i = length;
          recordStart = length;
          scanFrom = length;
          break;
        }
        state = FIELD_START;
        previousWasCarriageReturn = false;
        i = lineEnd + 1;
        recordStart = i;
        scanFrom = i;
        this.recordBytes = 0;
        oversizeAt = i + this.maxRecordBytes;
        continue;
      }
      // Fast path, at the start of a record: a line without quotes needs no byte-by-byte scan.
      if (i === recordStart && state === FIELD_START && fieldCount === 1 && this.oversizePreview === undefined && this.splitUnquoted) {
        const lineEnd = buffer.indexOf(LF, i);
        if (lineEnd >= 0 && lineEnd - i <= this.maxRecordBytes) {
          if (nextQuote < i) {
            const quote = buffer.indexOf(QUOTE, i);
            nextQuote = quote < 0 ? length : quote;
          }
          if (nextQuote > lineEnd) {
            const end = lineEnd > i && buffer[lineEnd - 1] === CR ? lineEnd - 1 : lineEnd;
            if (end > i) {
              const raw = buffer.toString('utf8', i, end);
              this.completeRecord(buffer, i, end, items, run, raw, raw.split(this.delimiterText));
            }
            i = lineEnd + 1;
            recordStart = i;
            scanFrom = i;
            oversizeAt = i + this.maxRecordBytes;
            continue;
          }
        }
      }
      const byte = buffer[i] as number;
      if (byte === LF && state !== QUOTED && state !== ESCAPED_IN_QUOTED) {
        // CR before LF belongs to the line end (a CR inside quotes was followed by a quote, not LF).
        const end = previousWasCarriageReturn ? i - 1 : i;
        this.fieldCount = fieldCount;
        this.recordHasQuotes = hasQuotes;
        this.recordBytes += i - scanFrom;
        this.completeRecord(buffer, recordStart, end, items, run);
        state = FIELD_START;
        fieldCount = 1;
        previousWasCarriageReturn = false;
        hasQuotes = false;
        recordStart = i + 1;
        scanFrom = i + 1;
        this.recordBytes = 0;
        oversizeAt = scanFrom + this.maxRecordBytes;
        i++;
        continue;
      }
      switch (state) {
        case FIELD_START:
          if (byte === QUOTE) {
            state = QUOTED;
            hasQuotes = true;
          } else if (byte === DELIMITER) fieldCount++;
          else state = UNQUOTED;
          break;
        case UNQUOTED:
          if (byte === DELIMITER) {
            fieldCount++;
            state = FIELD_START;
          } else if (byte === QUOTE) {
            this.quoteProblem ??= `a quote inside unquoted field ${fieldCount}`;
          }
          break;
        case QUOTED:
          if (byte === ESCAPE) state = ESCAPED_IN_QUOTED;
          else if (byte === QUOTE) state = QUOTE_IN_QUOTED;
          break;
        case ESCAPED_IN_QUOTED:
          state = QUOTED;
          break;
        case QUOTE_IN_QUOTED:
          if (byte === QUOTE && ESCAPE < 0) state = QUOTED;
          else if (byte === DELIMITER) {
            fieldCount++;
            state = FIELD_START;
          } else if (byte === CR) state = CARRIAGE_RETURN_AFTER_QUOTE;
          else {
            // Keep the damage to this line: the rest of the field is read as unquoted text.
            this.quoteProblem ??= `text after the closing quote of field ${fieldCount}`;
            state = UNQUOTED;
          }
          break;
        case CARRIAGE_RETURN_AFTER_QUOTE:
          this.quoteProblem ??= `text after the closing quote of field ${fieldCount}`;
          state = byte === DELIMITER ? FIELD_START : UNQUOTED;
          if (byte === DELIMITER) fieldCount++;
          break;
      }
      previousWasCarriageReturn = byte === CR;
      if (i >= oversizeAt && this.oversizePreview === undefined) {
        // Bytes up to i all belong to this record; later ones may belong to the next rows.
        this.oversizePreview = decodeLossy(buffer.subarray(recordStart, Math.min(recordStart + OVERSIZE_PREVIEW_BYTES, i + 1)));
      }
      i++;
    }

    this.recordBytes += length - scanFrom;
    this.state = state;
    this.fieldCount = fieldCount;
    this.previousWasCarriageReturn = previousWasCarriageReturn;
    this.recordHasQuotes = hasQuotes;

    if (atEnd) {
      if (state !== SKIPPED_LINE && (this.recordBytes > 0 || state !== FIELD_START || fieldCount > 1)) {
        if (state === QUOTED || state === ESCAPED_IN_QUOTED)
          this.quoteProblem ??= `a quoted field ${fieldCount} is not closed at the end of the file`;
        // Only LF and CRLF end a record (as in csv-parse): a CR at the very end of the file is data.
        if (state === CARRIAGE_RETURN_AFTER_QUOTE) this.quoteProblem ??= `text after the closing quote of field ${fieldCount}`;
        this.completeRecord(buffer, recordStart, length, items, run);
      }
      this.flushRun(buffer, run, items);
      this.carry = Buffer.alloc(0);
      return items;
    }
    this.flushRun(buffer, run, items);
    // Copy the tail so the caller's chunk can be collected; an oversized record keeps nothing.
    this.carry = this.oversizePreview === undefined ? Buffer.from(buffer.subarray(recordStart)) : Buffer.alloc(0);
    if (this.oversizePreview === undefined) this.recordBytes = this.carry.length;
    return items;
  }

  /**
   * Judges one complete record; good ones join the run, bad ones flush it first. `splitRaw` and
   * `splitFields` come with an unquoted record the fast path has already split.
   */
  private completeRecord(
    buffer: Buffer,
    start: number,
    end: number,
    items: CsvItem[],
    run: ScannedRecord[],
    splitRaw?: string,
    splitFields?: string[],
  ): void {
    const quoteProblem = this.quoteProblem;
    const oversizePreview = this.oversizePreview;
    const fieldCount = splitFields === undefined ? this.fieldCount : splitFields.length;
    const quoted = this.recordHasQuotes;
    this.recordHasQuotes = false;
    this.quoteProblem = undefined;
    this.oversizePreview = undefined;
    this.previousWasCarriageReturn = false;
    if (end <= start && oversizePreview === undefined && quoteProblem === undefined) return; // empty line
    const isHeader = this.header === undefined;
    const rowNumber = isHeader ? 0 : ++this.rowNumber;

    let reason: string | undefined;
    let raw: string | undefined;
    if (oversizePreview !== undefined) {
      reason = `record longer than ${this.maxRecordBytes} bytes`;
      raw = `${oversizePreview}…`;
    } else if (quoteProblem !== undefined) {
      reason = `malformed quotes: ${quoteProblem}`;
    } else if (!isHeader && fieldCount !== (this.header as string[]).length) {
      reason = `expected ${(this.header as string[]).length} fields, got ${fieldCount}`;
    }
    if (reason === undefined && !isHeader) {
      run.push(
        splitFields === undefined
          ? { start, end, rowNumber, fieldCount, quoted }
          : { start, end, rowNumber, fieldCount, quoted, raw: splitRaw, fields: splitFields },
      );
      return;
    }
    this.flushRun(buffer, run, items);
    raw ??= splitRaw ?? decodeLossy(buffer.subarray(start, end));
    if (isHeader) {
      const headerProblem = reason ?? (isUtf8(buffer.subarray(start, end)) ? undefined : 'invalid UTF-8');
      if (headerProblem !== undefined) throw new EtlError('UNREADABLE_FILE', `the CSV header cannot be read: ${headerProblem}`);
      const fields = this.parseRecords(buffer.subarray(start, end))?.[0];
      if (fields === undefined || fields.length !== fieldCount) throw new EtlError('UNREADABLE_FILE', 'the CSV header cannot be read');
      if (fields.some((name) => name.includes('\r') || name.includes('\n'))) {
        // Most likely a file with classic-Mac CR-only line ends, read as one long line.
        throw new EtlError(
          'UNREADABLE_FILE',
          'the CSV header holds a line break: lines must end with LF or CRLF (CR alone is not supported)',
        );
      }
      this.header = fields;
      items.push({ kind: 'header', fields });
      return;
    }
    items.push({ kind: 'error', rowNumber, raw, reason: reason as string });
  }

  /**
   * Turns the pending run of good records into row items, in order. A record without quotes is
   * split at its commas: the scanner already proved that every comma in it is a delimiter, and a
   * differential test checks the result against csv-parse. Records with quoted fields go to
   * csv-parse, several at a time. That makes the common case faster than
   * csv-parse for every record (docs/benchmarks.md, "The CSV reader").
   */
  private flushRun(buffer: Buffer, run: ScannedRecord[], items: CsvItem[]): void {
    if (run.length === 0) return;
    const first = run[0] as ScannedRecord;
    const last = run[run.length - 1] as ScannedRecord;
    // One UTF-8 check for the whole run; only a failing run is checked record by record.
    const runIsUtf8 = isUtf8(buffer.subarray(first.start, last.end));
    let quotedFrom = -1;
    for (let i = 0; i < run.length; i++) {
      const record = run[i] as ScannedRecord;
      if (!runIsUtf8 && !isUtf8(buffer.subarray(record.start, record.end))) {
        if (quotedFrom >= 0) this.parseQuoted(buffer, run, quotedFrom, i, items);
        quotedFrom = -1;
        items.push({
          kind: 'error',
          rowNumber: record.rowNumber,
          raw: record.raw ?? buffer.toString('utf8', record.start, record.end),
          reason: 'invalid UTF-8',
        });
      } else if (record.quoted || !this.splitUnquoted) {
        if (quotedFrom < 0) quotedFrom = i;
      } else {
        if (quotedFrom >= 0) this.parseQuoted(buffer, run, quotedFrom, i, items);
        quotedFrom = -1;
        const raw = record.raw ?? buffer.toString('utf8', record.start, record.end);
        items.push({ kind: 'row', rowNumber: record.rowNumber, fields: record.fields ?? raw.split(this.delimiterText), raw });
      }
    }
    if (quotedFrom >= 0) this.parseQuoted(buffer, run, quotedFrom, run.length, items);
    run.length = 0;
  }

  /** Parses `run[from..to)`, consecutive valid records, with csv-parse. */
  private parseQuoted(buffer: Buffer, run: readonly ScannedRecord[], from: number, to: number, items: CsvItem[]): void {
    const first = run[from] as ScannedRecord;
    const last = run[to - 1] as ScannedRecord;
    const records = this.parseRecords(buffer.subarray(first.start, last.end));
    // The scanner and csv-parse must agree record by record; if they ever do not, each record is
    // parsed alone so that a disagreement costs one row, never a shifted row number.
    const agree =
      records !== undefined &&
      records.length === to - from &&
      records.every((fields, index) => fields.length === run[from + index]?.fieldCount);
    for (let i = from; i < to; i++) {
      const record = run[i] as ScannedRecord;
      items.push(
        agree
          ? {
              kind: 'row',
              rowNumber: record.rowNumber,
              fields: records[i - from] as string[],
              raw: buffer.toString('utf8', record.start, record.end),
            }
          : this.parseOne(buffer, record),
      );
    }
  }

  private parseOne(buffer: Buffer, record: ScannedRecord): CsvItem {
    const bytes = buffer.subarray(record.start, record.end);
    const raw = decodeLossy(bytes);
    const fields = this.parseRecords(bytes);
    if (fields === undefined || fields.length !== 1 || fields[0]?.length !== record.fieldCount) {
      return { kind: 'error', rowNumber: record.rowNumber, raw, reason: 'malformed record' };
    }
    return { kind: 'row', rowNumber: record.rowNumber, fields: fields[0], raw };
  }

  private parseRecords(bytes: Buffer): string[][] | undefined {
    try {
      return parseCsvSync(bytes, this.parseOptions) as string[][];
    } catch {
      return undefined;
    }
  }
}
