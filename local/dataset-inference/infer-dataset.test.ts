/**
 * infer-dataset on generated files of the shapes real exports have: each draft must read its own
 * file back without rejecting a row a person would call valid, and the dialect, types, key and
 * event time must be the ones a person would pick.
 */
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inferDataset } from './infer-dataset.js';
import { runInferDataset } from '../cli/infer-dataset.js';
import { parseDatasetDeclaration } from '../../shared/datasets/dataset-schema.js';
import { utf16le, windows1252 } from '../../test/e2e/dataset-stack.js';

const folder = mkdtempSync(join(tmpdir(), 'infer-dataset-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

function file(name: string, content: string | Buffer): string {
  const path = join(folder, name);
  writeFileSync(path, content);
  return path;
}

const columnsOf = (declaration: Record<string, unknown>) => declaration.columns as Record<string, unknown>[];
const column = (declaration: Record<string, unknown>, name: string) => columnsOf(declaration).find((entry) => entry.name === name);

describe('inferDataset', () => {
  it('drafts a semicolon, Windows-1252, decimal-comma export with a local time format', async () => {
    const lines = ['Bestell-Nr;Bestellt am;Filiale;Betrag €;Bezahlt'];
    for (let i = 0; i < 120; i += 1) {
      const day = String(1 + (i % 28)).padStart(2, '0');
      lines.push(
        `B-${1000 + i};${day}.05.2026 ${String(i % 24).padStart(2, '0')}:${String(i % 60).padStart(2, '0')};${['Köln', 'Zürich', 'Wien'][i % 3]};${i * 7}.${i % 10}00,${String(i % 100).padStart(2, '0')};${i % 2 === 0 ? 'ja' : 'nein'}`,
      );
    }
    const path = file('orders.csv', windows1252(lines.join('\r\n') + '\r\n'));
    const inference = await inferDataset(path, { name: 'orders' });
    expect(inference.dialect).toMatchObject({ encoding: 'windows-1252', delimiter: ';', skipRows: 0 });
    const declaration = inference.draft.declaration;
    expect(declaration.csv).toEqual({ delimiter: ';', encoding: 'windows-1252' });
    expect(columnsOf(declaration).map((entry) => [entry.header ?? entry.name, entry.name, entry.type])).toEqual([
      ['Bestell-Nr', 'bestell_nr', 'string'],
      ['Bestellt am', 'bestellt_am', 'timestamp'],
      ['Filiale', 'filiale', 'string'],
      ['Betrag €', 'betrag', 'number'],
      ['Bezahlt', 'bezahlt', 'string'],
    ]);
    expect(column(declaration, 'bestellt_am')).toMatchObject({ formats: ['d.M.yyyy H:mm'], timeZone: 'UTC', required: true });
    expect(column(declaration, 'betrag')).toMatchObject({ decimalSeparator: ',', thousandsSeparator: '.' });
    expect(declaration.key).toEqual(['bestell_nr']);
    expect(declaration.eventTime).toBe('bestellt_am');
    expect(declaration.measures).toEqual(['betrag']);
    expect(declaration.dimensions).toEqual(['bezahlt', 'filiale']);
    expect([inference.sampledRows, inference.wholeFile, inference.rejectedCount, inference.unreadableCount]).toEqual([120, true, 0, 0]);
  });

  it('drafts a UTF-16 tab-separated file with a title line, ISO dates and no key', async () => {
    const lines = ['Station report, exported 2026-05-01', 'Station\tDate\tRain (mm)\tWind'];
    for (let i = 0; i < 40; i += 1)
      lines.push(
        `${i % 2 === 0 ? 'North' : 'South'}\t2026-04-${String(1 + (i % 5)).padStart(2, '0')}\t${(i % 7) / 2}\t${i % 3 === 0 ? '' : 'calm'}`,
      );
    const inference = await inferDataset(file('weather.tsv', utf16le(lines.join('\n') + '\n')), { name: 'weather' });
    expect(inference.dialect).toMatchObject({ encoding: 'utf-16le', byteOrderMark: true, delimiter: '\t', skipRows: 1 });
    const declaration = inference.draft.declaration;
    expect(columnsOf(declaration).map((entry) => [entry.name, entry.type])).toEqual([
      ['station', 'string'],
      ['date', 'date'],
      ['rain_mm', 'number'],
      ['wind', 'string'],
    ]);
    // Stations repeat their dates (i and i + 10 share both): no column or pair is unique.
    expect(declaration.key).toEqual([]);
    expect(declaration).toMatchObject({ eventTime: 'date', windowMinutes: 1440 });
    expect(inference.rejectedCount).toBe(0);
  });

  it('drafts timestamps with offsets, booleans in words and a uuid key from a pipe-separated file', async () => {
    const lines = ['id|at|ok|reading'];
    for (let i = 0; i < 30; i += 1)
      lines.push(
        `${i.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000|2026-05-01T10:${String(i).padStart(2, '0')}:00+02:00|${i % 2 === 0 ? 'Y' : 'N'}|${i}`,
      );
    const inference = await inferDataset(file('pipes.csv', lines.join('\n')), { name: 'pipes' });
    expect(inference.dialect.delimiter).toBe('|');
    const declaration = inference.draft.declaration;
    expect(columnsOf(declaration).map((entry) => [entry.name, entry.type])).toEqual([
      ['id', 'uuid'],
      ['at', 'timestamp'],
      ['ok', 'boolean'],
      ['reading', 'integer'],
    ]);
    expect(column(declaration, 'ok')).toMatchObject({ trueValues: ['Y'], falseValues: ['N'] });
    expect(declaration).toMatchObject({ key: ['id'], eventTime: 'at', windowMinutes: 1, measures: ['reading'] });
    expect(inference.rejectedCount).toBe(0);
  });

  it('keeps leading zeros as text and drafts a dataset without an event time', async () => {
    const lines = ['zip,city,population'];
    for (let i = 0; i < 20; i += 1) lines.push(`0${1000 + i},Town ${i},"${(i + 1) * 1234}"`);
    const inference = await inferDataset(file('towns.csv', lines.join('\n')), { name: 'towns' });
    const declaration = inference.draft.declaration;
    expect(columnsOf(declaration).map((entry) => [entry.name, entry.type])).toEqual([
      ['zip', 'string'],
      ['city', 'string'],
      ['population', 'integer'],
    ]);
    expect(declaration.eventTime).toBeUndefined();
    expect([declaration.measures, declaration.dimensions, declaration.report]).toEqual([[], [], undefined]);
    expect(parseDatasetDeclaration(declaration).eventTime).toBeUndefined();
    expect(inference.draft.decisions.find((decision) => decision.what === 'eventTime')?.why).toMatch(/facts only/);
  });

  it('reports rows no declaration can read, and stops at --sample-rows', async () => {
    const lines = ['name,score'];
    for (let i = 0; i < 50; i += 1) lines.push(i === 3 ? 'broken,1,2' : `n${i},${i}`);
    const path = file('ragged.csv', lines.join('\n'));
    const whole = await inferDataset(path, { name: 'ragged' });
    expect([whole.unreadableCount, whole.unreadable[0]?.rowNumber, whole.rejectedCount]).toEqual([1, 4, 0]);
    expect(whole.unreadable[0]?.reason).toMatch(/expected 2 fields, got 3/);
    const sample = await inferDataset(path, { name: 'ragged', sampleRows: 10 });
    expect([sample.sampledRows, sample.wholeFile]).toEqual([10, false]);
  });

  it('fails with one clear message on an empty file or a repeated header', async () => {
    await expect(inferDataset(file('empty.csv', ''), { name: 'empty' })).rejects.toThrow(/is empty: there is nothing to infer from/);
    await expect(inferDataset(file('twice.csv', 'a,b,a\n1,2,3\n'), { name: 'twice' })).rejects.toThrow(/names 'a' twice/);
  });
});

describe('infer-dataset command', () => {
  it('prints its decisions, writes the draft, and will not overwrite it without --force', async () => {
    const readings = [0, 15, 30, 45].flatMap((minute) =>
      ['m1', 'm2'].map((meter) => `${meter},2026-05-01T00:${String(minute).padStart(2, '0')}:00Z,${minute / 10}`),
    );
    const path = file('readings.csv', ['Meter ID,Read At,kWh', ...readings].join('\n') + '\n');
    const out = join(folder, 'drafts', 'readings.json');
    const lines: string[] = [];
    expect(await runInferDataset([path, '--name', 'readings', '--out', out], (line) => lines.push(line))).toBe(0);
    const text = lines.join('\n');
    expect(text).toMatch(/^Meter ID\s+meter_id\s+string, required, ≤ 16 chars\s+text$/m);
    expect(text).toMatch(/^key\s+meter_id, read_at\s+one row per meter_id and read_at: unique together$/m);
    expect(text).toMatch(/check: 8 of 8 readable sampled rows pass the draft/);
    expect(text).toContain(`wrote ${out}`);
    expect(parseDatasetDeclaration(JSON.parse(readFileSync(out, 'utf8'))).name).toBe('readings');
    await expect(runInferDataset([path, '--name', 'readings', '--out', out], () => undefined)).rejects.toThrow(/exists; give --force/);
    expect(await runInferDataset([path, '--name', 'readings', '--out', out, '--force'], () => undefined)).toBe(0);
    await expect(runInferDataset([path, '--name', 'Readings'], () => undefined)).rejects.toThrow(/--name 'Readings' must match/);
    expect(existsSync(join('datasets', 'Readings.json'))).toBe(false);
  });
});
