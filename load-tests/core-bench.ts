/**
 * Benchmark of the pure core on one process (not a test): generator, CSV reading beside the raw
 * csv-parse rate, validation, transform and window partials, and the reader's peak RSS.
 *
 *   npx tsx load-tests/core-bench.ts [--rows 1000000] [--seed 1] [--file existing.csv]
 *
 * Rates are given per wall-clock second and per CPU second of this process: on a shared machine
 * the second is the steadier figure.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parse } from 'csv-parse';
import { partialsFromFacts } from '../shared/aggregates/window-aggregate.js';
import { readCsv } from '../shared/csv/csv-reader.js';
import type { Fact, TypedRow } from '../shared/datasets/dataset-declaration.js';
import { iotEventsDataset } from '../shared/datasets/iot-events.js';
import { toFact } from '../shared/transform/to-fact.js';
import { bindHeader, type HeaderBinding } from '../shared/validation/header-binding.js';
import { validateRow } from '../shared/validation/validate-row.js';
import { generateIotCsv, writeIotCsvFile } from '../local/sample-data/iot-csv-generator.js';

const MICRO_ROWS = 200_000;
const number = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

async function measure<T>(label: string, count: number, run: () => Promise<T> | T): Promise<T> {
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const result = await run();
  const wall = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  console.log(
    `${label.padEnd(34)} ${number.format(count / wall).padStart(11)} rows/s wall  ${number.format(count / cpuSeconds).padStart(11)} rows/s CPU`,
  );
  return result;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { rows: { type: 'string' }, seed: { type: 'string' }, file: { type: 'string' } } });
  const rows = Number(values.rows ?? 1_000_000);
  const directory = await mkdtemp(join(tmpdir(), 'core-bench-'));
  try {
    const path = values.file ?? (await writeGeneratedFile(join(directory, 'iot.csv'), rows, Number(values.seed ?? 1)));
    const size = (await stat(path)).size;
    console.log(`file: ${path}, ${(size / 1024 / 1024).toFixed(1)} MiB`);
    await benchReaders(path, rows);
    await benchRowStages();
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

/** The generator's rate, writing `rows` rows to `path`. */
async function writeGeneratedFile(path: string, rows: number, seed: number): Promise<string> {
  await measure('generate (to a file)', rows, () => writeIotCsvFile(path, { rows, seed }));
  return path;
}

/** csv-parse alone, then readCsv with and without its own split of unquoted records, and readCsv's memory. */
async function benchReaders(path: string, rows: number): Promise<void> {
  let parsed = 0;
  await measure('csv-parse stream (raw baseline)', rows, async () => {
    for await (const _record of createReadStream(path).pipe(parse({ relax_column_count: true, from_line: 2 }))) parsed++;
  });

  const rssBefore = process.memoryUsage().rss;
  let peakRss = rssBefore;
  let items = 0;
  await measure('readCsv (header, rows, errors)', rows, async () => {
    for await (const _item of readCsv(createReadStream(path))) {
      items++;
      if ((items & 0x3fff) === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }
  });
  console.log(
    `readCsv items ${number.format(items)} (csv-parse records ${number.format(parsed)}); RSS ${mb(rssBefore)} before, peak ${mb(peakRss)} while reading`,
  );
  await measure('readCsv, csv-parse for every record', rows, async () => {
    for await (const _item of readCsv(createReadStream(path), { splitUnquotedRecords: false })) items--;
  });
}

/** The per-row stages, on rows held in memory so that reading does not count. */
async function benchRowStages(): Promise<void> {
  const sample: string[][] = [];
  let header: string[] = [];
  for await (const item of readCsv(generateIotCsv({ rows: MICRO_ROWS, seed: 2, badRowRate: 0 }).chunks)) {
    if (item.kind === 'header') header = item.fields;
    else if (item.kind === 'row') sample.push(item.fields);
  }
  const bound = bindHeader(iotEventsDataset, header);
  if (!bound.ok) throw new Error(bound.reason);
  const binding: HeaderBinding = bound.binding;
  const typed: TypedRow[] = [];
  await measure(`validateRow (${number.format(sample.length)} rows)`, sample.length, () => {
    for (const fields of sample) {
      const result = validateRow(iotEventsDataset, binding, fields);
      if (result.ok) typed.push(result.row);
    }
  });
  const facts: Fact[] = await measure('toFact', typed.length, () =>
    typed.map((row, index) => toFact(iotEventsDataset, row, 'bench', index + 1)),
  );
  const partials = await measure('partialsFromFacts', facts.length, () => partialsFromFacts(iotEventsDataset, facts));
  console.log(`${number.format(partials.length)} partials from ${number.format(facts.length)} facts`);
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MB`;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
