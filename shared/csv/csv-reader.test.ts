import { parse as parseCsvSync } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../local/sample-data/seeded-random.js';
import { isEtlError } from '../errors/etl-error.js';
import { readCsv, readCsvBatches, type CsvItem } from './csv-reader.js';

async function* chunksOf(parts: readonly (Uint8Array | string)[]): AsyncIterable<Uint8Array | string> {
  for (const part of parts) yield part;
}

async function read(
  input: string | Uint8Array | readonly (Uint8Array | string)[],
  maxRecordBytes?: number,
  splitUnquotedRecords?: boolean,
): Promise<CsvItem[]> {
  const parts = typeof input === 'string' || input instanceof Uint8Array ? [input] : input;
  const items: CsvItem[] = [];
  for await (const item of readCsv(chunksOf(parts), { maxRecordBytes, splitUnquotedRecords })) items.push(item);
  return items;
}

/** Splits bytes at the given offsets, to prove that chunk boundaries never change the result. */
function splitAt(bytes: Uint8Array, offsets: readonly number[]): Uint8Array[] {
  const parts: Uint8Array[] = [];
  let start = 0;
  for (const offset of [...offsets].sort((a, b) => a - b)) {
    parts.push(bytes.subarray(start, offset));
    start = offset;
  }
  parts.push(bytes.subarray(start));
  return parts;
}

const row = (rowNumber: number, fields: string[], raw: string): CsvItem => ({ kind: 'row', rowNumber, fields, raw });

describe('readCsv', () => {
  it('reads a header and rows', async () => {
    expect(await read('a,b\n1,2\n3,4\n')).toEqual([
      { kind: 'header', fields: ['a', 'b'] },
      row(1, ['1', '2'], '1,2'),
      row(2, ['3', '4'], '3,4'),
    ]);
  });

  it('yields nothing for an empty file, or one holding only a BOM and blank lines', async () => {
    expect(await read('')).toEqual([]);
    expect(await read('\ufeff\n\r\n')).toEqual([]);
  });

  it('handles quotes, escaped quotes, delimiters and newlines inside quotes', async () => {
    const text = 'a,b,c\n"x, y","say ""hi""","line 1\nline 2"\n"",,"\r\n"\n';
    expect(await read(text)).toEqual([
      { kind: 'header', fields: ['a', 'b', 'c'] },
      row(1, ['x, y', 'say "hi"', 'line 1\nline 2'], '"x, y","say ""hi""","line 1\nline 2"'),
      row(2, ['', '', '\r\n'], '"",,"\r\n"'),
    ]);
  });

  it('reads CRLF line ends, a UTF-8 BOM and a last line without a line end', async () => {
    expect(await read('\ufeffid,name\r\n1,Zoë\r\n2,"Ünal"')).toEqual([
      { kind: 'header', fields: ['id', 'name'] },
      row(1, ['1', 'Zoë'], '1,Zoë'),
      row(2, ['2', 'Ünal'], '2,"Ünal"'),
    ]);
  });

  it('skips empty lines without counting them', async () => {
    const items = await read('a,b\n\n1,2\r\n\r\n\n3,4\n\n');
    expect(items.filter((item) => item.kind === 'row').map((item) => item.kind === 'row' && item.rowNumber)).toEqual([1, 2]);
  });

  it('turns a wrong column count into an error item and reads on', async () => {
    expect(await read('a,b\n1\n1,2,3\n4,5\n')).toEqual([
      { kind: 'header', fields: ['a', 'b'] },
      { kind: 'error', rowNumber: 1, raw: '1', reason: 'expected 2 fields, got 1' },
      { kind: 'error', rowNumber: 2, raw: '1,2,3', reason: 'expected 2 fields, got 3' },
      row(3, ['4', '5'], '4,5'),
    ]);
  });

  it('turns malformed quotes into error items limited to their line', async () => {
    expect(await read('a,b\nx"y,1\n"ab"c,2\n"ok",3\n')).toEqual([
      { kind: 'header', fields: ['a', 'b'] },
      { kind: 'error', rowNumber: 1, raw: 'x"y,1', reason: 'malformed quotes: a quote inside unquoted field 1' },
      { kind: 'error', rowNumber: 2, raw: '"ab"c,2', reason: 'malformed quotes: text after the closing quote of field 1' },
      row(3, ['ok', '3'], '"ok",3'),
    ]);
  });

  it('reports an unterminated quote at the end of the file as one error row', async () => {
    expect(await read('a,b\n1,2\n3,"open\n4,5\n')).toEqual([
      { kind: 'header', fields: ['a', 'b'] },
      row(1, ['1', '2'], '1,2'),
      {
        kind: 'error',
        rowNumber: 2,
        raw: '3,"open\n4,5\n',
        reason: 'malformed quotes: a quoted field 2 is not closed at the end of the file',
      },
    ]);
  });

  it('rejects the row holding invalid UTF-8 and reads the rows around it', async () => {
    const bytes = Buffer.concat([Buffer.from('a,b\n1,ok\n2,'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('\n3,"é"\n')]);
    expect(await read(bytes)).toEqual([
      { kind: 'header', fields: ['a', 'b'] },
      row(1, ['1', 'ok'], '1,ok'),
      { kind: 'error', rowNumber: 2, raw: '2,\ufffd(\ufffd', reason: 'invalid UTF-8' },
      row(3, ['3', 'é'], '3,"é"'),
    ]);
  });

  it('keeps multi-byte characters split across chunks intact', async () => {
    const bytes = Buffer.from('a\nü€😀\n');
    for (let offset = 1; offset < bytes.length; offset++) {
      expect(await read(splitAt(bytes, [offset]))).toEqual([{ kind: 'header', fields: ['a'] }, row(1, ['ü€😀'], 'ü€😀')]);
    }
  });

  it('keeps a surrogate pair split across text chunks intact', async () => {
    const text = 'a\nx😀y\n';
    for (let offset = 1; offset < text.length; offset++) {
      expect(await read([text.slice(0, offset), text.slice(offset)])).toEqual([
        { kind: 'header', fields: ['a'] },
        row(1, ['x😀y'], 'x😀y'),
      ]);
    }
    // A lone half at the very end is not held back forever.
    expect(await read(['a\nx', '\ud83d'])).toEqual([{ kind: 'header', fields: ['a'] }, row(1, ['x\ufffd'], 'x\ufffd')]);
  });

  it('turns a record above maxRecordBytes into an error, keeps memory bounded and reads on', async () => {
    const huge = 'x'.repeat(5000);
    const parts = ['a,b\n1,2\n3,', ...Array.from({ length: 10 }, () => huge), '\n4,5\n'];
    const items = await read(parts, 1000);
    expect(items.map((item) => item.kind)).toEqual(['header', 'row', 'error', 'row']);
    const error = items[2] as Extract<CsvItem, { kind: 'error' }>;
    expect(error).toMatchObject({ rowNumber: 2, reason: 'record longer than 1000 bytes' });
    expect(error.raw.length).toBeLessThan(1100);
    expect(items[3]).toEqual(row(3, ['4', '5'], '4,5'));
  });

  it('keeps the following rows out of the raw text of an oversized record', async () => {
    const items = await read(`a,b\n"${'x'.repeat(100)}",1\n2,3\n`, 50);
    expect(items[1]).toEqual({ kind: 'error', rowNumber: 1, raw: `"${'x'.repeat(50)}…`, reason: 'record longer than 50 bytes' });
    expect(items[2]).toEqual(row(2, ['2', '3'], '2,3'));
  });

  it('fails a file whose header cannot be read', async () => {
    const error = await read(Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0xff, 0xfe, 0x0a, 0x31])).catch((caught: unknown) => caught);
    expect(isEtlError(error, 'UNREADABLE_FILE')).toBe(true);
  });

  it('fails a file with CR-only line ends with a hint instead of reading it as one line', async () => {
    await expect(read('a,b\r1,2\r3,4\r')).rejects.toMatchObject({ code: 'UNREADABLE_FILE', message: expect.stringMatching(/LF or CRLF/) });
  });

  it('gives the same items whatever the chunk boundaries', async () => {
    const bytes = Buffer.from('\ufeffa,b,c\r\n1,"x\r\ny",3\r\n\r\n"q""",,\n9,"bad"x,1\n7,8,9\n10,"end');
    const whole = await read(bytes);
    expect(whole).toHaveLength(6);
    for (let offset = 0; offset <= bytes.length; offset++) {
      expect(await read(splitAt(bytes, [offset]))).toEqual(whole);
    }
    const { next } = seededRandom(7);
    for (let round = 0; round < 50; round++) {
      const offsets = Array.from({ length: 5 }, () => Math.floor(next() * bytes.length));
      expect(await read(splitAt(bytes, offsets))).toEqual(whole);
    }
  });

  it('survives random bytes: consecutive row numbers, same items for any chunking, bounded raw', async () => {
    const { next, int } = seededRandom(2024);
    const pieces = [',', '"', '\n', '\r', '\r\n', 'a', 'bc', ' ', '""', 'é', '\ufeff'].map((piece) => Buffer.from(piece));
    const invalid = [Buffer.from([0xff]), Buffer.from([0xc3]), Buffer.from([0xe2, 0x82])];
    const reasons = new Set<string>();
    for (let round = 0; round < 150; round++) {
      const parts: Buffer[] = [Buffer.from('h1,h2\n')];
      for (let i = 0; i < 5 + int(120); i++)
        parts.push(next() < 0.05 ? (invalid[int(invalid.length)] as Buffer) : (pieces[int(pieces.length)] as Buffer));
      const bytes = Buffer.concat(parts);
      const whole = await read(bytes, 32);
      expect(whole[0]).toEqual({ kind: 'header', fields: ['h1', 'h2'] });
      const numbers = whole.slice(1).map((item) => (item.kind === 'header' ? -1 : item.rowNumber));
      expect(numbers).toEqual(numbers.map((_, index) => index + 1));
      for (const item of whole) {
        if (item.kind === 'header') continue;
        // Invalid bytes decode to U+FFFD (3 bytes); an oversized record's raw ends with '…'.
        expect(Buffer.byteLength(item.raw)).toBeLessThanOrEqual(33 * 3 + 3);
        if (item.kind === 'error') reasons.add(item.reason.replace(/[0-9]+/g, 'N'));
      }
      const offsets = [int(bytes.length + 1), int(bytes.length + 1), int(bytes.length + 1)];
      expect(await read(splitAt(bytes, offsets), 32)).toEqual(whole);
      // Splitting unquoted records at commas gives exactly what csv-parse gives.
      expect(await read(bytes, 32, false)).toEqual(whole);
    }
    // The random inputs reach every kind of bad record.
    expect([...reasons].sort()).toEqual(
      expect.arrayContaining([
        'expected N fields, got N',
        'invalid UTF-N',
        'record longer than N bytes',
        expect.stringMatching(/^malformed quotes/),
      ]),
    );
  });

  it('gives the same items in batches, with no empty batch', async () => {
    const rows = Array.from({ length: 5000 }, (_, index) => `${index},"q ""${index}"""`);
    const text = `a,b\n1,2\n"x,y",3\nbad\n${rows.join('\n')}`;
    const parts = splitAt(Buffer.from(text), [3, 10, 70_000]);
    const batches: (readonly CsvItem[])[] = [];
    for await (const batch of readCsvBatches(chunksOf(parts))) batches.push(batch);
    expect(batches.length).toBeGreaterThan(1);
    expect(batches.every((batch) => batch.length > 0)).toBe(true);
    expect(batches.flat()).toEqual(await read(parts));
    expect(batches.flat()).toHaveLength(5004);
  });

  it('agrees with csv-parse field for field on random well-formed CSV', async () => {
    const { next } = seededRandom(42);
    const alphabet = ['a', 'b', ' ', ',', '"', '\n', '\r\n', 'é', '😀', '1', '.', '-'];
    const field = () => {
      const text = Array.from({ length: Math.floor(next() * 6) }, () => alphabet[Math.floor(next() * alphabet.length)]).join('');
      const mustQuote = /[",\r\n]/.test(text) || next() < 0.2;
      return mustQuote ? `"${text.replaceAll('"', '""')}"` : text;
    };
    for (let round = 0; round < 30; round++) {
      const columns = 1 + Math.floor(next() * 4);
      const lines = Array.from({ length: 1 + Math.floor(next() * 40) }, () => Array.from({ length: columns }, field).join(','));
      // A single empty unquoted field is an empty line, which both skip; keep such files out.
      if (columns === 1 && lines.some((line) => line === '')) continue;
      const text = `${Array.from({ length: columns }, (_, index) => `c${index}`).join(',')}\n${lines.join(next() < 0.5 ? '\n' : '\r\n')}`;
      const expected = parseCsvSync(text, {
        relax_column_count: true,
        skip_empty_lines: true,
        record_delimiter: ['\r\n', '\n'],
      }) as string[][];
      const items = await read(splitAt(Buffer.from(text), [Math.floor(next() * text.length)]));
      expect(items.map((item) => (item.kind === 'error' ? item.reason : item.fields))).toEqual(expected);
      expect(await read(text, undefined, false)).toEqual(items);
    }
  });
});
