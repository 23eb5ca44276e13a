/**
 * Real-world file shapes end to end, on one local stack shared by all of them: each file is
 * generated, `infer-dataset` drafts its declaration, the stack starts with those drafts in
 * ETL_DATASETS_DIR, and each file must load with the counts a person expects: no valid row
 * rejected, the planted bad rows rejected, duplicates counted once.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/cli/local-stack.js';
import { inferDataset, type Inference } from '../../local/dataset-inference/infer-dataset.js';
import type { EtlRuntime } from '../../shared/runtime/etl-runtime.js';
import type { FileManifest } from '../../shared/ports/file-manifest.js';
import { waitFor } from '../../local/host/test/wait-for.js';
import { settledFiles, startDatasetStack, utf16le, windows1252 } from './dataset-stack.js';

interface Shape {
  readonly dataset: string;
  readonly bytes: Buffer;
  /** Data rows, rows the pipeline must reject, and rows whose key (or whole content) repeats. */
  readonly rows: number;
  readonly rejected: number;
  readonly duplicates: number;
  readonly timeZone?: string;
  /** The file infer-dataset drafts from, when the planted bad rows would change the draft. */
  readonly inferFrom?: Buffer;
}

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

function headersWithSymbols(): Shape {
  const lines = ['Order ID,Placed At (UTC),Shop Name,Amount $,Paid?,Note #'];
  for (let i = 0; i < 60; i += 1)
    lines.push(
      `A-${100 + i},2026-05-${pad(1 + (i % 9))}T${pad(i % 24)}:00:00Z,${['North', 'South', 'East'][i % 3]},${i}.25,${i % 2 === 0 ? 'yes' : 'no'},"note, ${i}"`,
    );
  lines.push('A-100,2026-05-01T00:00:00Z,North,0.25,yes,"note, 0"'); // the first order again
  return { dataset: 'symbols', bytes: Buffer.from(lines.join('\n') + '\n'), rows: 61, rejected: 0, duplicates: 1 };
}

function dateOnly(): Shape {
  const lines = ['day,station,rain'];
  for (let i = 0; i < 40; i += 1) lines.push(`2026-04-${pad(1 + Math.floor(i / 2))},${i % 2 === 0 ? 'N' : 'S'},${(i % 5) * 0.5}`);
  const clean = Buffer.from(lines.join('\n') + '\n');
  lines.push('2026-04-31,N,1'); // no 31 April: a draft from this file would call the column text
  return { dataset: 'date_only', bytes: Buffer.from(lines.join('\n') + '\n'), inferFrom: clean, rows: 41, rejected: 1, duplicates: 0 };
}

/** Local times in two formats read in Berlin (a daylight-saving gap among them), beside instants with offsets. */
function timestampFormats(): Shape {
  const lines = ['Reading ID,Local Time,Logged At'];
  for (let i = 0; i < 30; i += 1) {
    const local = i % 2 === 0 ? `2026-03-29 ${pad(i % 6)}:${pad(i)}:00` : `29.03.2026 ${pad(i % 6)}:${pad(i)}`;
    lines.push(`r${i},${local},2026-03-29T${pad(i % 24)}:00:00${i % 3 === 0 ? '+05:30' : 'Z'}`);
  }
  return {
    dataset: 'time_formats',
    bytes: Buffer.from(lines.join('\n') + '\n'),
    rows: 30,
    rejected: 0,
    duplicates: 0,
    timeZone: 'Europe/Berlin',
  };
}

function semicolonsAndCommas(): Shape {
  const lines = ['Artikel-Nr;Datum;Menge;Preis'];
  for (let i = 0; i < 50; i += 1) lines.push(`Art ${i};${pad(1 + (i % 28))}.02.2026;${1000 + i * 37};1.${pad(i % 100, 3)},${pad(i % 100)}`);
  lines.push('Art 0;01.02.2026;1000'); // one field short
  return { dataset: 'semicolons', bytes: Buffer.from(lines.join('\r\n') + '\r\n'), rows: 51, rejected: 1, duplicates: 0 };
}

function tabs(): Shape {
  const lines = ['id\twhen\tkind\tvalue'];
  for (let i = 0; i < 50; i += 1) lines.push(`${i}\t2026-06-01T10:${pad(i)}:00Z\t${i % 2 === 0 ? 'a' : 'b'}\t${i * 3}`);
  return { dataset: 'tabs', bytes: Buffer.from(lines.join('\n') + '\n'), rows: 50, rejected: 0, duplicates: 0 };
}

function utf16(): Shape {
  const lines = ['Ville;Jour;Température'];
  for (let i = 0; i < 40; i += 1)
    lines.push(`${['Besançon', 'Zürich', 'Kraków', '東京'][i % 4]};2026-01-${pad(1 + Math.floor(i / 4))};${i - 10},5`);
  return { dataset: 'utf16', bytes: utf16le(lines.join('\r\n') + '\r\n'), rows: 40, rejected: 0, duplicates: 0 };
}

function windowsExport(): Shape {
  const lines = ['Kunden Nr;Datum;Betrag €'];
  for (let i = 0; i < 40; i += 1)
    lines.push(`${['Müller', 'Gärtner', 'Señor Núñez'][i % 3]} ${i};${pad(1 + (i % 28))}/03/2026;${i * 100},${pad(i)}`);
  return { dataset: 'cp1252', bytes: windows1252(lines.join('\r\n') + '\r\n'), rows: 40, rejected: 0, duplicates: 0 };
}

function noKey(): Shape {
  const lines = ['Date,Category,Amount'];
  for (let i = 0; i < 30; i += 1) lines.push(`2026-07-${pad(1 + (i % 3))},${i % 2 === 0 ? 'food' : 'rent'},${i % 4}`);
  // Rows 0..29 repeat (date, category, amount) every 12 rows: 30 rows, 12 distinct, 18 duplicates.
  return { dataset: 'no_key', bytes: Buffer.from(lines.join('\n') + '\n'), rows: 30, rejected: 0, duplicates: 18 };
}

function noEventTime(): Shape {
  const lines = ['SKU,Product,Price'];
  for (let i = 0; i < 25; i += 1) lines.push(`S-${pad(i, 3)},Product ${i},${i}.99`);
  return { dataset: 'no_time', bytes: Buffer.from(lines.join('\n') + '\n'), rows: 25, rejected: 0, duplicates: 0 };
}

const shapes: readonly Shape[] = [
  headersWithSymbols(),
  dateOnly(),
  timestampFormats(),
  semicolonsAndCommas(),
  tabs(),
  utf16(),
  windowsExport(),
  noKey(),
  noEventTime(),
];

describe('real-world file shapes, drafted by infer-dataset, on one local stack', { timeout: 180_000 }, () => {
  let folder: string;
  let stack: LocalStack;
  let runtime: EtlRuntime;
  const drafts = new Map<string, Inference>();
  const files = new Map<string, FileManifest>();

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'etl-real-world-'));
    const datasetsDir = join(folder, 'datasets');
    await mkdir(datasetsDir);
    for (const shape of shapes) {
      const path = join(folder, `${shape.dataset}.csv`);
      await writeFile(path, shape.inferFrom ?? shape.bytes);
      const inference = await inferDataset(path, {
        name: shape.dataset,
        ...(shape.timeZone === undefined ? {} : { timeZone: shape.timeZone }),
      });
      drafts.set(shape.dataset, inference);
      await writeFile(join(datasetsDir, `${shape.dataset}.json`), JSON.stringify(inference.draft.declaration, null, 2));
    }
    ({ stack, runtime } = await startDatasetStack(folder, datasetsDir, { ETL_CHUNK_MAX_ROWS: '16' }));
    const landing = stack.blobService.getContainerClient('landing');
    for (const shape of shapes) await landing.getBlockBlobClient(`${shape.dataset}/export.csv`).uploadData(shape.bytes);
    for (const file of await settledFiles(runtime, shapes.length)) files.set(file.dataset, file);
  }, 240_000);

  afterAll(async () => {
    await stack?.close();
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  it.each(shapes.map((shape) => [shape.dataset, shape] as const))('loads %s with the counts a person expects', (_name, shape) => {
    const draft = drafts.get(shape.dataset);
    // The draft itself rejects no row it was inferred from; the planted bad rows the reader or the
    // column rules catch.
    expect(draft?.rejectedCount).toBe(0);
    const file = files.get(shape.dataset);
    expect(file, `no manifest for ${shape.dataset}`).toBeDefined();
    expect({ state: file?.state, error: file?.error }).toEqual({ state: 'complete', error: null });
    expect([file?.totalRows, file?.rejectedRows, file?.loadedRows, file?.duplicateRows]).toEqual([
      shape.rows,
      shape.rejected,
      shape.rows - shape.rejected - shape.duplicates,
      shape.duplicates,
    ]);
  });

  it('declares each shape as a person would: dialect, key, event time', () => {
    const summary = Object.fromEntries(
      [...drafts].map(([name, inference]) => [
        name,
        [
          inference.dialect.encoding,
          inference.dialect.delimiter,
          (inference.draft.declaration.key as string[]).join('+') || '(row_hash)',
          inference.draft.declaration.eventTime ?? '(none)',
        ],
      ]),
    );
    expect(summary).toEqual({
      symbols: ['utf-8', ',', 'order_id', 'placed_at_utc'],
      date_only: ['utf-8', ',', 'station+day', 'day'],
      time_formats: ['utf-8', ',', 'reading_id', 'local_time'],
      semicolons: ['utf-8', ';', 'artikel_nr', 'datum'],
      tabs: ['utf-8', '\t', 'id', 'when'],
      utf16: ['utf-16le', ';', 'ville+jour', 'jour'],
      cp1252: ['windows-1252', ';', 'kunden_nr', 'datum'],
      no_key: ['utf-8', ',', '(row_hash)', 'date'],
      no_time: ['utf-8', ',', 'sku', '(none)'],
    });
  });

  it('stores the values as typed: zones, formats, separators, text in every encoding', () => {
    const db = new Database(join(folder, 'state', 'etl.sqlite'), { readonly: true });
    try {
      const one = (sql: string) => db.prepare(sql).raw(true).all() as unknown[][];
      // 02:xx on 29 March does not exist in Berlin: it moves forward an hour (CEST, UTC+2).
      expect(one(`SELECT local_time FROM time_formats_facts WHERE reading_id IN ('r2', 'r3', 'r5') ORDER BY reading_id`)).toEqual([
        ['2026-03-29T01:02:00.000Z'],
        ['2026-03-29T01:03:00.000Z'],
        ['2026-03-29T03:05:00.000Z'],
      ]);
      expect(one(`SELECT logged_at FROM time_formats_facts WHERE reading_id = 'r3'`)).toEqual([['2026-03-28T21:30:00.000Z']]);
      expect(one(`SELECT menge, preis FROM semicolons_facts WHERE artikel_nr = 'Art 1'`)).toEqual([[1037, 1001.01]]);
      expect(one(`SELECT ville, temperature FROM utf16_facts WHERE jour = '2026-01-04' AND ville = '東京'`)).toEqual([['東京', 5.5]]);
      expect(one(`SELECT datum, betrag FROM cp1252_facts WHERE kunden_nr = 'Señor Núñez 2'`)).toEqual([['2026-03-03', 200.02]]);
      expect(one(`SELECT COUNT(*) FROM no_key_facts`)).toEqual([[12]]);
      expect(one(`SELECT COUNT(*), ROUND(SUM(price), 2) FROM no_time_facts`)).toEqual([[25, 324.75]]);
      expect(one(`SELECT COUNT(*) FROM no_time_windows_1m`)).toEqual([[0]]);
    } finally {
      db.close();
    }
  });

  it('aggregates the windows of a drafted dataset with an event time', async () => {
    const dataset = runtime.datasets.get('tabs');
    expect(dataset?.measures).toEqual(['value']);
    const windows = await waitFor(
      'the tabs windows',
      async () => {
        const list = await runtime.store.windows.listWindows(dataset!, { limit: 1000 });
        return list.reduce((sum, window) => sum + window.count, 0) === 50 ? list : undefined;
      },
      120_000,
      200,
    );
    expect(windows.length).toBeGreaterThan(0);
  });
});
