/**
 * The reader follows a dataset's declared dialect: delimiter, quote, escape, lines to skip, comment
 * lines and encoding (a byte order mark winning over the declaration).
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { readCsv, type CsvItem, type CsvReadOptions } from './csv-reader.js';

async function read(input: Buffer | string, options: CsvReadOptions, chunkBytes = 3): Promise<CsvItem[]> {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < bytes.length; offset += chunkBytes) chunks.push(bytes.subarray(offset, offset + chunkBytes));
  const items: CsvItem[] = [];
  for await (const item of readCsv(chunks, options)) items.push(item);
  return items;
}

const fieldsOf = (items: CsvItem[]) => items.map((item) => (item.kind === 'error' ? `error: ${item.reason}` : item.fields));

describe('CSV dialects', () => {
  it('reads semicolon-delimited files with a title to skip and comment lines, in any chunking', async () => {
    const text =
      'Weather export\r\nstation list v2\r\nName;Temp;Note\r\n# measured by hand\r\nBerlin;1,5;"a;b"\r\n#x\r\nMünchen;-2;"say ""hi"""\r\n';
    const dialect = { delimiter: ';', quote: '"', escape: '"', skipRows: 2, comment: '#' };
    for (const chunkBytes of [1, 3, 7, 1000]) {
      const items = await read(text, { dialect }, chunkBytes);
      expect(fieldsOf(items)).toEqual([
        ['Name', 'Temp', 'Note'],
        ['Berlin', '1,5', 'a;b'],
        ['München', '-2', 'say "hi"'],
      ]);
      expect(items.filter((item) => item.kind === 'row').map((item) => (item as { rowNumber: number }).rowNumber)).toEqual([1, 2]);
    }
  });

  it('reads tab-delimited files with backslash-escaped quotes as csv-parse does', async () => {
    const text = 'a\tb\n"x\\"y"\tplain \\ text\n"tab\there"\t"line\nbreak"\n';
    const dialect = { delimiter: '\t', quote: '"', escape: '\\', skipRows: 0 };
    const items = await read(text, { dialect });
    expect(fieldsOf(items)).toEqual(parse(text, { delimiter: '\t', escape: '\\', relax_column_count: true }));
    expect(fieldsOf(items).slice(1)).toEqual([
      ['x"y', 'plain \\ text'],
      ['tab\there', 'line\nbreak'],
    ]);
  });

  it('reads UTF-16 with a byte order mark whatever was declared, and Windows-1252 when declared', async () => {
    const text = 'city,price\nKöln,3 €\n';
    const utf16le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    const utf16be = Buffer.from([0xfe, 0xff, ...Buffer.from(text, 'utf16le').swap16()]);
    for (const bytes of [utf16le, utf16be]) {
      expect(fieldsOf(await read(bytes, {}, 5))).toEqual([
        ['city', 'price'],
        ['Köln', '3 €'],
      ]);
    }
    const cp1252 = Buffer.from([...Buffer.from('city,price\nK', 'latin1'), 0xf6, ...Buffer.from('ln,3 ', 'latin1'), 0x80, 0x0a]);
    expect(fieldsOf(await read(cp1252, { encoding: 'windows-1252' }))).toEqual([
      ['city', 'price'],
      ['Köln', '3 €'],
    ]);
    // Read as UTF-8, the same bytes are not text: each bad row says so.
    expect(fieldsOf(await read(cp1252, {}))).toEqual([['city', 'price'], 'error: invalid UTF-8']);
  });

  it('keeps the default dialect exactly as before: commas, doubled quotes, nothing skipped', async () => {
    const text = '#a,b\n"x,1",2\n';
    expect(fieldsOf(await read(text, {}))).toEqual([
      ['#a', 'b'],
      ['x,1', '2'],
    ]);
  });
});
