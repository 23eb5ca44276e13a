/**
 * Property-based differential test: the CSV fast path (CsvChunkParser, fed in arbitrary chunks, with
 * and without splitting unquoted records itself) returns exactly what csv-parse returns for the same
 * bytes, on generated inputs with quotes, commas, newlines inside quotes, CR/LF mixes, empty lines,
 * a BOM and invalid UTF-8.
 *
 * csv-parse (with the options the parser gives it) is the oracle. Its records become the expected
 * items by the parser's documented rules: the first record is the header; a record with another
 * field count, or whose bytes are not UTF-8, is an error item; every other record is a row whose
 * `raw` is the record's bytes without its line end. Where csv-parse stops at malformed quotes, the
 * parser must agree on every record before, and report that record as malformed.
 */
import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import { parse as parseCsvSync, type InfoRecord, type Options as CsvParseOptions } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { isEtlError } from '../errors/etl-error.js';
import { csvParseOptions, CsvChunkParser, DEFAULT_DIALECT, type CsvItem } from './csv-chunk-parser.js';

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const QUOTE = Buffer.from('"');
const LF = 0x0a;
const CR = 0x0d;

/** The parser's own csv-parse options, with fields kept as bytes so that invalid UTF-8 survives. */
const ORACLE_OPTIONS = { ...csvParseOptions(DEFAULT_DIALECT), encoding: null } as const satisfies CsvParseOptions;

/** Bytes fields are made of: CSV's special characters, multi-byte text, and invalid UTF-8. */
const TEXT_PIECES = ['a', 'b', '1', ' ', '-', 'é', '😀', '\r'].map((text) => Buffer.from(text));
const SPECIAL_PIECES = [',', '"', '\n', '\r\n', '""'].map((text) => Buffer.from(text));
const INVALID_PIECES = [[0xff], [0xc3], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xc0, 0xaf]].map((bytes) => Buffer.from(bytes));

const content = (pieces: Buffer[]) => fc.array(fc.constantFrom(...pieces), { maxLength: 6 }).map((parts) => Buffer.concat(parts));

/** A field as a writer would put it: quoted (quotes doubled) when it must be, and sometimes anyway. */
const wellFormedField = (pieces: Buffer[]) =>
  fc.tuple(content(pieces), fc.boolean()).map(([text, quoteAnyway]) => {
    const mustQuote = text.includes(0x22) || text.includes(0x2c) || text.includes(LF);
    if (!mustQuote && !quoteAnyway) return text;
    return Buffer.concat([QUOTE, Buffer.from(text.toString('latin1').replaceAll('"', '""'), 'latin1'), QUOTE]);
  });

const lineEnd = fc.constantFrom(Buffer.from('\n'), Buffer.from('\r\n'));

/**
 * A file a CSV writer could produce, give or take: a header, then records of about the header's
 * width joined by LF or CRLF, with empty lines, an optional BOM and an optional last line end.
 */
const wellFormedFile = fc
  .record({
    bom: fc.boolean(),
    header: fc.array(wellFormedField([...TEXT_PIECES.filter((piece) => !piece.includes(CR)), Buffer.from(','), Buffer.from('"')]), {
      minLength: 1,
      maxLength: 4,
    }),
    records: fc.array(
      fc.tuple(
        fc.array(wellFormedField([...TEXT_PIECES, ...SPECIAL_PIECES, ...INVALID_PIECES]), { minLength: 1, maxLength: 5 }),
        lineEnd,
        fc.nat(2),
      ),
      { maxLength: 12 },
    ),
    headerEnd: lineEnd,
    lastLineEnd: fc.boolean(),
  })
  .map(({ bom, header, records, headerEnd, lastLineEnd }) => {
    const parts: Buffer[] = bom ? [BOM] : [];
    parts.push(Buffer.concat(header.flatMap((field, index) => (index === 0 ? [field] : [Buffer.from(','), field]))));
    let end = headerEnd;
    for (const [fields, recordEnd, emptyLines] of records) {
      parts.push(end, ...Array.from({ length: emptyLines }, () => end));
      parts.push(Buffer.concat(fields.flatMap((field, index) => (index === 0 ? [field] : [Buffer.from(','), field]))));
      end = recordEnd;
    }
    if (lastLineEnd) parts.push(end);
    return Buffer.concat(parts);
  });

/** Arbitrary bytes after a plain header: mostly malformed quoting, stray CRs, broken characters. */
const arbitraryFile = fc
  .tuple(
    fc.constantFrom('h1,h2\n', 'h\r\n', 'a,"b,c",d\n'),
    fc.array(fc.constantFrom(...TEXT_PIECES, ...SPECIAL_PIECES, ...INVALID_PIECES), { maxLength: 60 }),
  )
  .map(([header, pieces]) => Buffer.concat([Buffer.from(header), ...pieces]));

/** Offsets to cut a file at, so that chunk boundaries fall anywhere (inside quotes, CRLF, characters). */
const cuts = fc.array(fc.nat(), { maxLength: 4 });

function splitAt(bytes: Buffer, offsets: readonly number[]): Buffer[] {
  const positions = [...new Set(offsets.map((offset) => offset % (bytes.length + 1)))].sort((a, b) => a - b);
  const parts: Buffer[] = [];
  let start = 0;
  for (const position of positions) {
    parts.push(bytes.subarray(start, position));
    start = position;
  }
  parts.push(bytes.subarray(start));
  return parts;
}

type Outcome = { items: CsvItem[] } | { unreadable: string };

function runParser(chunks: readonly Buffer[], splitUnquotedRecords: boolean): Outcome {
  const parser = new CsvChunkParser({ splitUnquotedRecords });
  try {
    const items = chunks.flatMap((chunk) => parser.push(chunk));
    return { items: [...items, ...parser.finish()] };
  } catch (error) {
    if (isEtlError(error) && error.code === 'UNREADABLE_FILE') return { unreadable: error.message };
    throw error;
  }
}

interface OracleRecord {
  readonly fields: Buffer[];
  /** Byte offset just past the record and its line end. */
  readonly end: number;
}

/** csv-parse's records of `body`, up to where it stops, and whether it read all of it. */
function csvParseRecords(body: Buffer): { records: OracleRecord[]; failed: boolean } {
  const records: OracleRecord[] = [];
  try {
    parseCsvSync(body, {
      ...ORACLE_OPTIONS,
      // `encoding: null` makes the fields Buffers; csv-parse's types know only strings here.
      on_record: (fields: string[], context: InfoRecord) => {
        records.push({ fields: fields as unknown as Buffer[], end: context.bytes });
        return fields;
      },
    });
    return { records, failed: false };
  } catch {
    return { records, failed: true };
  }
}

/** The record's bytes between `start` (after the previous record) and `end`: empty lines before it and its line end left out. */
function recordBytes(body: Buffer, start: number, end: number): Buffer {
  let from = start;
  for (;;) {
    if (body[from] === LF) from += 1;
    else if (body[from] === CR && body[from + 1] === LF) from += 2;
    else break;
  }
  let to = end;
  if (to > from && body[to - 1] === LF) to -= body[to - 2] === CR && to - 2 >= from ? 2 : 1;
  return body.subarray(from, to);
}

interface Expectation {
  /** Items in order; when `malformedRow` is set, only those before it. */
  readonly outcome: Outcome;
  /** The row at which csv-parse stopped on malformed quotes. */
  readonly malformedRow?: number;
}

function expectedFromCsvParse(file: Buffer): Expectation {
  const body = file.subarray(0, 3).equals(BOM) ? file.subarray(3) : file;
  const { records, failed } = csvParseRecords(body);
  const [header, ...rows] = records;
  if (header === undefined) return failed ? { outcome: { unreadable: 'malformed header' } } : { outcome: { items: [] } };
  const headerBytes = recordBytes(body, 0, header.end);
  if (!isUtf8(headerBytes) || header.fields.some((field) => field.includes(CR) || field.includes(LF)))
    return { outcome: { unreadable: 'unreadable header' } };
  const items: CsvItem[] = [{ kind: 'header', fields: header.fields.map((field) => field.toString('utf8')) }];
  let start = header.end;
  rows.forEach((record, index) => {
    const bytes = recordBytes(body, start, record.end);
    start = record.end;
    const rowNumber = index + 1;
    const raw = bytes.toString('utf8');
    if (record.fields.length !== header.fields.length)
      items.push({ kind: 'error', rowNumber, raw, reason: `expected ${header.fields.length} fields, got ${record.fields.length}` });
    else if (!isUtf8(bytes)) items.push({ kind: 'error', rowNumber, raw, reason: 'invalid UTF-8' });
    else items.push({ kind: 'row', rowNumber, fields: record.fields.map((field) => field.toString('utf8')), raw });
  });
  return failed ? { outcome: { items }, malformedRow: rows.length + 1 } : { outcome: { items } };
}

/** The parser, whatever the chunking and splitting mode, gives what csv-parse gives. */
function agreesWithCsvParse(file: Buffer, offsets: readonly number[]): void {
  const expected = expectedFromCsvParse(file);
  for (const splitUnquoted of [true, false]) {
    const actual = runParser(splitAt(file, offsets), splitUnquoted);
    if ('unreadable' in expected.outcome) {
      expect(actual).toHaveProperty('unreadable');
      continue;
    }
    expect(actual).toHaveProperty('items');
    const items = 'items' in actual ? actual.items : [];
    if (expected.malformedRow === undefined) {
      expect(items).toEqual(expected.outcome.items);
      continue;
    }
    expect(items.slice(0, expected.outcome.items.length)).toEqual(expected.outcome.items);
    expect(items[expected.outcome.items.length]).toMatchObject({
      kind: 'error',
      rowNumber: expected.malformedRow,
      reason: expect.stringMatching(/^malformed quotes/),
    });
  }
}

describe('CsvChunkParser against csv-parse', () => {
  it('returns exactly what csv-parse returns on well-formed files with quotes, newlines, CR/LF mixes and invalid bytes', () => {
    fc.assert(
      fc.property(wellFormedFile, cuts, (file, offsets) => agreesWithCsvParse(file, offsets)),
      { numRuns: Number(process.env.CSV_PROPERTY_RUNS ?? 400) },
    );
  });

  it('agrees with csv-parse up to the first malformed record of arbitrary bytes, and reports that record', () => {
    fc.assert(
      fc.property(arbitraryFile, cuts, (file, offsets) => agreesWithCsvParse(file, offsets)),
      { numRuns: Number(process.env.CSV_PROPERTY_RUNS ?? 400) },
    );
  });

  it('reads a CR at the very end of the file as data, as csv-parse does', () => {
    // Only CRLF and LF end a record: a last lone CR stays in the field, or makes a closed quote malformed.
    for (const text of ['a,b\n1,2\r', 'a,b\n1,"2"\r', 'a,b\n\r', 'a\n\r', 'a,b\r\n1,2\r\n\r']) agreesWithCsvParse(Buffer.from(text), []);
  });
});
