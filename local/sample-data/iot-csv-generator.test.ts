import { parse as parseCsvSync } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { readCsv } from '../../shared/csv/csv-reader.js';
import { iotEventsDataset } from '../../shared/datasets/iot-events.js';
import { bindHeader } from '../../shared/validation/header-binding.js';
import { validateRow } from '../../shared/validation/validate-row.js';
import { factKey } from '../../shared/transform/to-fact.js';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BAD_ROW_KINDS, generateIotCsv, IOT_CSV_HEADER, writeIotCsvFile, type IotCsvOptions } from './iot-csv-generator.js';

function textOf(options: IotCsvOptions): string {
  return [...generateIotCsv(options).chunks].join('');
}

/** What the pipeline's extract and transform would count, computed with the real core functions. */
async function countWithCore(text: string) {
  let rows = 0;
  let bad = 0;
  let duplicates = 0;
  const keys = new Set<string>();
  const reasons = new Set<string>();
  let binding: ReturnType<typeof bindHeader> | undefined;
  async function* one() {
    yield text;
  }
  for await (const item of readCsv(one())) {
    if (item.kind === 'header') {
      binding = bindHeader(iotEventsDataset, item.fields);
      continue;
    }
    rows++;
    if (item.kind === 'error') {
      bad++;
      reasons.add(item.reason.replace(/[0-9]+/g, 'N'));
      continue;
    }
    if (!binding?.ok) throw new Error('no header');
    const result = validateRow(iotEventsDataset, binding.binding, item.fields);
    if (!result.ok) {
      bad++;
      reasons.add(result.reason.split(':')[0] as string);
      continue;
    }
    const key = factKey(iotEventsDataset, result.row);
    if (keys.has(key)) duplicates++;
    else keys.add(key);
  }
  return { counts: { rows, badRows: bad, duplicateRows: duplicates, distinctKeys: keys.size }, reasons };
}

describe('generateIotCsv', () => {
  it('reports exactly what the core finds in the file: rows, bad rows, duplicates, distinct keys', async () => {
    const generated = generateIotCsv({ rows: 20_000, seed: 3, duplicateRate: 0.05, badRowRate: 0.03, badRowKinds: BAD_ROW_KINDS });
    const before = generated.expected();
    const { counts, reasons } = await countWithCore([...generated.chunks].join(''));
    expect(counts).toEqual(before);
    expect(before.badRows).toBeGreaterThan(400);
    expect(before.duplicateRows).toBeGreaterThan(800);
    // Every kind of bad row occurs, each caught by its own rule.
    expect([...reasons].sort()).toEqual(
      [
        'device_type',
        'event_duration',
        'event_id',
        'expected N fields, got N',
        'malformed quotes: text after the closing quote of field N',
        'timestamp',
      ].sort(),
    );
  });

  it('leaves malformed quotes out by default, so a plain csv-parse stream reads every line', async () => {
    const text = textOf({ rows: 5000, seed: 8, badRowRate: 0.2 });
    const records = parseCsvSync(text, { relax_column_count: true }) as string[][];
    expect(records).toHaveLength(5001);
    expect((await countWithCore(text)).reasons.has('malformed quotes: text after the closing quote of field N')).toBe(false);
  });

  it('is deterministic: the same seed gives the same text, another seed other text', () => {
    const options = { rows: 3000, seed: 11 };
    const text = textOf(options);
    expect(textOf(options)).toBe(text);
    const generated = generateIotCsv(options);
    expect([...generated.chunks].join('')).toBe([...generated.chunks].join(''));
    expect(textOf({ ...options, seed: 12 })).not.toBe(text);
  });

  it('writes a header, one line per row, no line breaks inside fields, and some quoted fields', () => {
    const text = textOf({ rows: 2000, seed: 5, badRowRate: 0 });
    const lines = text.split('\n');
    expect(lines[0]).toBe(IOT_CSV_HEADER);
    expect(lines).toHaveLength(2002); // header + rows + the empty string after the last line end
    expect(lines.at(-1)).toBe('');
    expect(lines.some((line) => line.includes('"'))).toBe(true);
  });

  it('honours crlf, start time, spread and device count', async () => {
    const text = textOf({
      rows: 500,
      seed: 2,
      crlf: true,
      startTime: '2026-06-30T23:30:00Z',
      spreadMinutes: 60,
      devices: 3,
      badRowRate: 0,
      duplicateRate: 0,
    });
    expect(text.split('\r\n')).toHaveLength(502);
    const rows = text
      .split('\r\n')
      .slice(1, -1)
      .map((line) => line.split(','));
    expect(new Set(rows.map((fields) => fields[1]))).toEqual(new Set(['device-001', 'device-002', 'device-003']));
    const times = rows.map((fields) => Date.parse(fields[3] as string));
    expect(Math.min(...times)).toBeGreaterThanOrEqual(Date.parse('2026-06-30T23:30:00Z'));
    expect(Math.max(...times)).toBeLessThan(Date.parse('2026-07-01T00:30:00Z'));
    expect(rows.some((fields) => fields[3]!.startsWith('2026-07-01'))).toBe(true);
    expect((await countWithCore(text)).counts.badRows).toBe(0);
  });

  it('rejects nonsense options', () => {
    expect(() => generateIotCsv({ rows: -1 })).toThrow(RangeError);
    expect(() => generateIotCsv({ rows: 10, badRowRate: 2 })).toThrow(RangeError);
    expect(() => generateIotCsv({ rows: 10, startTime: 'yesterday' })).toThrow(RangeError);
    expect(() => generateIotCsv({ rows: 10, badRowKinds: [] })).toThrow(RangeError);
  });
});

describe('writeIotCsvFile', () => {
  it('writes the generated text to a file and returns its counts and size', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'etl-generated-'));
    try {
      const options = { rows: 2_000, seed: 5 };
      const written = await writeIotCsvFile(join(directory, 'iot.csv'), options);
      const text = await readFile(join(directory, 'iot.csv'), 'utf8');
      const generated = generateIotCsv(options);
      expect(text).toBe([...generated.chunks].join(''));
      expect(written).toEqual({ ...generated.expected(), bytes: Buffer.byteLength(text) });
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
