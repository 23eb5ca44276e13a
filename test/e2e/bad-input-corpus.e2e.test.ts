/**
 * Bad input, end to end: a corpus of generated files, each hostile or odd in its own way, goes
 * through the real extract path and transform on one local stack (Azurite, the emulator, SQLite,
 * the local Functions host). Each file must either complete with a reason for every rejected row,
 * or fail with one clear message; and every data row must be accounted for exactly once: its row
 * number is either a loaded fact, a duplicate, or a rejected row, never two of them.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/cli/local-stack.js';
import type { EtlRuntime } from '../../shared/runtime/etl-runtime.js';
import type { FileManifest } from '../../shared/ports/file-manifest.js';
import { rejectedBlobName } from '../../shared/adapters/blob-rejected-row-sink.js';
import { settledFiles, startDatasetStack, utf16le } from './dataset-stack.js';

/**
 * Facts only (no event time), a key, and a text column with a length limit. Each file lands in a
 * dataset of its own, so that its counts depend on no other file (ids repeat across files).
 */
const DATASET = {
  columns: [
    { name: 'id', type: 'integer', required: true },
    { name: 'name', type: 'string', maxLength: 40 },
    { name: 'amount', type: 'number' },
  ],
  key: ['id'],
};
const datasetOf = (file: CorpusFile) => `c_${file.name.replaceAll('-', '_')}`;

const HEADER = 'id,name,amount';
const rows = (count: number, from = 1) =>
  Array.from({ length: count }, (_, index) => `${from + index},name ${from + index},${(from + index) * 1.5}`);
const lf = (...lines: string[]) => Buffer.from(lines.join('\n') + '\n');

/** What a file must come to: complete with these counts (reasons matching, in row order), or failed with a message. */
type Outcome =
  | {
      readonly state: 'complete';
      readonly total: number;
      readonly rejected: number;
      readonly duplicates?: number;
      readonly reasons?: readonly RegExp[];
    }
  | { readonly state: 'failed'; readonly error: RegExp };

interface CorpusFile {
  readonly name: string;
  /** The file's declared delimiter (default comma). */
  readonly delimiter?: ';';
  readonly content: Buffer | (() => Readable);
  readonly outcome: Outcome;
}

const HUNDRED_MB = 100 * 1024 * 1024;

/** header, a row, a row whose name is 100 MB long, a row: generated as it is uploaded, never held whole. */
function hundredMegabyteLine(): Readable {
  const piece = 'x'.repeat(1024 * 1024);
  let sent = -1;
  return new Readable({
    read() {
      if (sent === -1) this.push(`${HEADER}\n1,before,1\n2,`);
      else if (sent < HUNDRED_MB / piece.length) this.push(piece);
      else {
        this.push(',2\n3,after,3\n');
        this.push(null);
      }
      sent += 1;
    },
  });
}

const corpus: readonly CorpusFile[] = [
  // Encodings and byte order marks.
  {
    name: 'utf16le-bom',
    content: utf16le(`${HEADER}\r\n${rows(3).join('\r\n')}\r\n`),
    outcome: { state: 'complete', total: 3, rejected: 0 },
  },
  {
    name: 'utf16be-bom',
    content: Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(`${HEADER}\n${rows(3).join('\n')}\n`, 'utf16le').swap16()]),
    outcome: { state: 'complete', total: 3, rejected: 0 },
  },
  { name: 'utf16le-no-bom', content: utf16le(`${HEADER}\n${rows(3).join('\n')}\n`, false), outcome: { state: 'failed', error: /header/ } },
  {
    name: 'utf8-bom-crlf',
    content: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`${HEADER}\r\n${rows(3).join('\r\n')}\r\n`)]),
    outcome: { state: 'complete', total: 3, rejected: 0 },
  },
  { name: 'bom-only', content: Buffer.from([0xef, 0xbb, 0xbf]), outcome: { state: 'complete', total: 0, rejected: 0 } },
  {
    name: 'windows-1252-bytes',
    content: Buffer.concat([lf(HEADER, '1,ok,1'), Buffer.from('2,Gr\xfc\xdfe,2\n', 'latin1'), lf('3,ok,3')]),
    outcome: { state: 'complete', total: 3, rejected: 1, reasons: [/UTF-8/] },
  },
  {
    name: 'utf8-encoded-surrogate',
    content: Buffer.concat([lf(HEADER), Buffer.from([0x31, 0x2c, 0xed, 0xa0, 0x80, 0x2c, 0x31, 0x0a]), lf('2,ok,2')]),
    outcome: { state: 'complete', total: 2, rejected: 1, reasons: [/UTF-8/] },
  },
  {
    name: 'overlong-utf8',
    content: Buffer.concat([lf(HEADER), Buffer.from([0x31, 0x2c, 0xc0, 0xaf, 0x2c, 0x31, 0x0a]), lf('2,ok,2')]),
    outcome: { state: 'complete', total: 2, rejected: 1, reasons: [/UTF-8/] },
  },
  {
    name: 'binary',
    content: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0xff, 0xfe]),
    outcome: { state: 'failed', error: /./ },
  },
  {
    name: 'emoji-and-scripts',
    content: lf(HEADER, '1,😀 Ünïcödé,1', '2,東京 Москва עברית,2', '3,e\u0301 combining,3'),
    outcome: { state: 'complete', total: 3, rejected: 0 },
  },

  // Line ends.
  { name: 'lone-cr', content: Buffer.from(`${HEADER}\r${rows(3).join('\r')}\r`), outcome: { state: 'failed', error: /CR/ } },
  {
    name: 'mixed-line-ends',
    content: Buffer.from(`${HEADER}\r\n1,a,1\n2,b,2\r\n3,c,3`),
    outcome: { state: 'complete', total: 3, rejected: 0 },
  },
  { name: 'cr-inside-quotes', content: lf(HEADER, '1,"two\rlines",1', '2,b,2'), outcome: { state: 'complete', total: 2, rejected: 0 } },
  {
    name: 'newlines-inside-quotes',
    content: lf(HEADER, '1,"first\nsecond\nthird",1', '2,b,2'),
    outcome: { state: 'complete', total: 2, rejected: 0 },
  },
  {
    name: 'blank-lines-between',
    content: lf(HEADER, '', '1,a,1', '', '', '2,b,2', ''),
    outcome: { state: 'complete', total: 2, rejected: 0 },
  },
  { name: 'only-blank-lines', content: Buffer.from('\n\n\r\n\n'), outcome: { state: 'complete', total: 0, rejected: 0 } },

  // NUL bytes and control characters.
  {
    name: 'nul-in-field',
    content: lf(HEADER, '1,a\u0000b,1', '2,b,2'),
    outcome: { state: 'complete', total: 2, rejected: 1, reasons: [/control character U\+0000/] },
  },
  { name: 'nul-in-header', content: lf('id,na\u0000me,amount', '1,a,1'), outcome: { state: 'failed', error: /header/ } },
  { name: 'nul-bytes-only', content: Buffer.alloc(64), outcome: { state: 'failed', error: /./ } },
  {
    name: 'bell-and-escape',
    content: lf(HEADER, '1,ring\u0007,1', '2,\u001b[31mred,2', '3,fine,3'),
    outcome: { state: 'complete', total: 3, rejected: 2, reasons: [/U\+0007/, /U\+001B/] },
  },
  { name: 'tab-in-field', content: lf(HEADER, '1,a\tb,1'), outcome: { state: 'complete', total: 1, rejected: 0 } },
  {
    name: 'control-in-key',
    content: lf(HEADER, '1\u0001,a,1', '2,b,2'),
    outcome: { state: 'complete', total: 2, rejected: 1, reasons: [/^id: /] },
  },

  // Sizes.
  {
    name: 'line-of-100mb',
    content: hundredMegabyteLine,
    outcome: { state: 'complete', total: 3, rejected: 1, reasons: [/record longer than 1048576 bytes/] },
  },
  {
    name: 'quoted-field-of-2mb',
    content: lf(HEADER, '1,a,1', `2,"${'y\n'.repeat(1024 * 1024)}",2`, '3,c,3'),
    outcome: { state: 'complete', total: 3, rejected: 1, reasons: [/record longer than/] },
  },
  {
    name: 'name-over-max-length',
    content: lf(HEADER, `1,${'n'.repeat(41)},1`, `2,${'n'.repeat(40)},2`),
    outcome: { state: 'complete', total: 2, rejected: 1, reasons: [/name: .*40/] },
  },
  {
    name: 'row-of-1000-fields',
    content: lf(HEADER, Array.from({ length: 1000 }, (_, index) => index).join(','), '2,b,2'),
    outcome: { state: 'complete', total: 2, rejected: 1, reasons: [/expected 3 fields, got 1000/] },
  },
  {
    name: 'header-of-5000-columns',
    content: lf(Array.from({ length: 5000 }, (_, index) => `column_${index}`).join(','), '1'),
    outcome: { state: 'failed', error: /header/ },
  },
  { name: 'empty', content: Buffer.alloc(0), outcome: { state: 'complete', total: 0, rejected: 0 } },
  { name: 'header-only', content: lf(HEADER), outcome: { state: 'complete', total: 0, rejected: 0 } },

  // Headers.
  { name: 'quoted-header', content: lf('"id","name","amount"', '1,a,1'), outcome: { state: 'complete', total: 1, rejected: 0 } },
  {
    name: 'quoted-header-with-spaces',
    content: lf('" id ","name","amount "', '1,a,1'),
    outcome: { state: 'complete', total: 1, rejected: 0 },
  },
  // As in a row (whitespace-around-quotes below), a quote after a space does not open a quoted field.
  {
    name: 'quoted-header-spaced-out',
    content: lf('" id ", "name" ,"amount "', '1,a,1'),
    outcome: { state: 'failed', error: /the CSV header cannot be read: malformed quotes/ },
  },
  { name: 'reordered-header', content: lf('amount,id,name', '1.5,1,a'), outcome: { state: 'complete', total: 1, rejected: 0 } },
  {
    name: 'wrong-header',
    content: lf('identifier,title,sum', '1,a,1'),
    outcome: { state: 'failed', error: /missing columns: id, name, amount/ },
  },
  { name: 'header-missing-a-column', content: lf('id,name', '1,a'), outcome: { state: 'failed', error: /missing columns: amount/ } },
  {
    name: 'header-with-unknown-column',
    content: lf('id,name,amount,extra', '1,a,1,x'),
    outcome: { state: 'failed', error: /unknown columns: extra/ },
  },
  { name: 'header-with-repeated-column', content: lf('id,name,amount,name', '1,a,1,b'), outcome: { state: 'failed', error: /name/ } },
  {
    name: 'header-repeated-mid-file',
    content: lf(HEADER, '1,a,1', HEADER, '2,b,2'),
    outcome: { state: 'complete', total: 3, rejected: 1, reasons: [/the header again/] },
  },
  {
    name: 'files-joined-with-their-headers',
    content: lf(HEADER, ...rows(3), HEADER, ...rows(3, 4), HEADER, ...rows(3, 7)),
    outcome: { state: 'complete', total: 11, rejected: 2, reasons: [/the header again/, /the header again/] },
  },
  { name: 'wrong-delimiter-for-dataset', delimiter: ';', content: lf(HEADER, '1,a,1'), outcome: { state: 'failed', error: /header/ } },
  {
    name: 'semicolons-as-declared',
    delimiter: ';',
    content: lf('id;name;amount', '1;a, b;1.5', '2;"c; d";2'),
    outcome: { state: 'complete', total: 2, rejected: 0 },
  },

  // Delimiters and quotes.
  {
    name: 'trailing-delimiter-everywhere',
    content: lf(`${HEADER},`, '1,a,1,', '2,b,2,'),
    outcome: { state: 'complete', total: 2, rejected: 0 },
  },
  {
    name: 'trailing-delimiter-on-rows-only',
    content: lf(HEADER, '1,a,1,', '2,b,2'),
    outcome: { state: 'complete', total: 2, rejected: 1, reasons: [/expected 3 fields, got 4/] },
  },
  {
    name: 'whitespace-around-quotes',
    content: lf(HEADER, '1, "a" ,1', '2,"b",2'),
    outcome: { state: 'complete', total: 2, rejected: 1, reasons: [/quote/] },
  },
  {
    name: 'quote-inside-unquoted-field',
    content: lf(HEADER, '1,a"b,1', '2,b,2'),
    outcome: { state: 'complete', total: 2, rejected: 1, reasons: [/quote/] },
  },
  {
    name: 'text-after-closing-quote',
    content: lf(HEADER, '1,"a"b,1', '2,b,2'),
    outcome: { state: 'complete', total: 2, rejected: 1, reasons: [/text after the closing quote/] },
  },
  {
    name: 'unterminated-quote-at-end',
    content: lf(HEADER, '1,a,1', '2,"never closed,2', '3,c,3'),
    outcome: { state: 'complete', total: 2, rejected: 1, reasons: [/quote/] },
  },
  { name: 'doubled-quotes', content: lf(HEADER, '1,"say ""hi""",1'), outcome: { state: 'complete', total: 1, rejected: 0 } },
  {
    name: 'only-delimiters',
    content: lf(HEADER, ',,', '1,a,1'),
    outcome: { state: 'complete', total: 2, rejected: 1, reasons: [/id: required, but empty/] },
  },

  // Values and keys.
  {
    name: 'numbers-that-are-not',
    content: lf(HEADER, '1,a,1e400', '2,b,NaN', '3,c,0x10', '4,d,Infinity', '5,e,-0.5'),
    outcome: { state: 'complete', total: 5, rejected: 4, reasons: [/amount/, /amount/, /amount/, /amount/] },
  },
  {
    name: 'integer-beyond-2-to-53',
    content: lf(HEADER, '9007199254740993,a,1', '9007199254740991,b,1'),
    outcome: { state: 'complete', total: 2, rejected: 1, reasons: [/id/] },
  },
  {
    name: 'duplicate-keys-in-file',
    content: lf(HEADER, '1,a,1', '1,a again,2', ' 1 ,padded,3', '2,b,2'),
    outcome: { state: 'complete', total: 4, rejected: 0, duplicates: 2 },
  },
];

describe('bad input corpus, end to end on one local stack', { timeout: 300_000 }, () => {
  let folder: string;
  let stack: LocalStack;
  let runtime: EtlRuntime;
  const manifests = new Map<string, FileManifest>();
  const reasonsOf = new Map<string, { rowNumber: number; reason: string }[]>();
  const factRows = new Map<string, number[]>();

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'etl-bad-input-'));
    const datasetsDir = join(folder, 'datasets');
    await mkdir(datasetsDir);
    for (const file of corpus) {
      const declaration = {
        name: datasetOf(file),
        ...DATASET,
        ...(file.delimiter === undefined ? {} : { csv: { delimiter: file.delimiter } }),
      };
      await writeFile(join(datasetsDir, `${declaration.name}.json`), JSON.stringify(declaration));
    }
    ({ stack, runtime } = await startDatasetStack(folder, datasetsDir));
    const landing = stack.blobService.getContainerClient('landing');
    for (const file of corpus) {
      const blob = landing.getBlockBlobClient(`${datasetOf(file)}/${file.name}.csv`);
      if (Buffer.isBuffer(file.content)) await blob.uploadData(file.content);
      else await blob.uploadStream(file.content(), 4 * 1024 * 1024, 2);
    }
    const settled = await settledFiles(runtime, corpus.length);
    const rejected = stack.blobService.getContainerClient('rejected');
    const db = new Database(join(folder, 'state', 'etl.sqlite'), { readonly: true });
    try {
      for (const manifest of settled) {
        const name = manifest.blobName.slice(manifest.blobName.indexOf('/') + 1, -'.csv'.length);
        manifests.set(name, manifest);
        if (manifest.rejectedRows > 0) {
          const text = (await rejected.getBlockBlobClient(rejectedBlobName(manifest.dataset, manifest.fileId)).downloadToBuffer()).toString(
            'utf8',
          );
          reasonsOf.set(
            name,
            text
              .trim()
              .split('\n')
              .map((line) => JSON.parse(line) as { rowNumber: number; reason: string }),
          );
        }
        const table = `${manifest.dataset}_facts`;
        factRows.set(
          name,
          (
            db.prepare(`SELECT row_number FROM ${table} WHERE file_id = ? ORDER BY row_number`).raw(true).all(manifest.fileId) as number[][]
          ).map((row) => row[0] as number),
        );
      }
    } finally {
      db.close();
    }
  }, 300_000);

  afterAll(async () => {
    await stack?.close();
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  it('holds at least 40 files', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(40);
    expect(new Set(corpus.map((file) => file.name)).size).toBe(corpus.length);
  });

  it.each(corpus.map((file) => [file.name, file] as const))(
    '%s: completes with a reason per rejected row, or fails with one message',
    (name, file) => {
      const manifest = manifests.get(name);
      expect(manifest, `no manifest for ${name}`).toBeDefined();
      if (manifest === undefined) return;
      if (file.outcome.state === 'failed') {
        expect(manifest.state).toBe('failed');
        expect(manifest.error ?? '').toMatch(file.outcome.error);
        // One message, not a stack trace.
        expect(manifest.error).not.toMatch(/\n\s+at /);
        expect(factRows.get(name)).toEqual([]);
        return;
      }
      const { total, rejected, duplicates = 0, reasons = [] } = file.outcome;
      expect({ state: manifest.state, error: manifest.error }).toEqual({ state: 'complete', error: null });
      expect([manifest.totalRows, manifest.rejectedRows, manifest.validRows, manifest.loadedRows, manifest.duplicateRows]).toEqual([
        total,
        rejected,
        total - rejected,
        total - rejected - duplicates,
        duplicates,
      ]);
      const rejectedRows = reasonsOf.get(name) ?? [];
      expect(rejectedRows).toHaveLength(rejected);
      rejectedRows.forEach((row, index) => {
        expect(row.reason.length).toBeGreaterThan(0);
        if (reasons[index] !== undefined) expect(row.reason).toMatch(reasons[index]);
      });
      // Each row number once: a loaded fact or a rejected row (duplicates are the rest), all within the file.
      const loaded = factRows.get(name) ?? [];
      const numbers = [...loaded, ...rejectedRows.map((row) => row.rowNumber)];
      expect(new Set(numbers).size).toBe(numbers.length);
      expect(numbers.every((number) => number >= 1 && number <= total)).toBe(true);
      expect(loaded).toHaveLength(total - rejected - duplicates);
    },
  );

  it('stores the values of the odd but valid files as written', () => {
    const db = new Database(join(folder, 'state', 'etl.sqlite'), { readonly: true });
    try {
      const names = (file: string) => {
        const manifest = manifests.get(file);
        return (db.prepare(`SELECT name FROM ${manifest?.dataset}_facts ORDER BY row_number`).raw(true).all() as string[][]).map(
          (row) => row[0],
        );
      };
      expect(names('newlines-inside-quotes')).toEqual(['first\nsecond\nthird', 'b']);
      expect(names('emoji-and-scripts')).toEqual(['😀 Ünïcödé', '東京 Москва עברית', 'e\u0301 combining']);
      expect(names('doubled-quotes')).toEqual(['say "hi"']);
      expect(names('utf16be-bom')).toEqual(['name 1', 'name 2', 'name 3']);
    } finally {
      db.close();
    }
  });
});
