/**
 * CPU per row of the CSV reader alone (`readCsvBatches`), in one process, on one seeded IoT file
 * held in memory as 64 KiB byte chunks (what a blob download delivers):
 * - `utf-8 ,` — the default dialect, the fast path every IoT file takes;
 * - `utf-8 ;` — the same rows with semicolons (a declared dialect on UTF-8 bytes);
 * - `windows-1252 ;` and `utf-16le ;` — the same text in encodings that are decoded to text first.
 *
 *   npx tsx bench/csv-reader-bench.ts [--rows 200000] [--rounds 7]
 *       [--against <another checkout>/shared/csv/csv-reader.ts]
 *
 * With `--against`, the other reader reads the default shape too, alternating with this one round
 * by round (A B A B …) so that both see the same machine; the ratio of their medians is printed.
 * An older reader takes no dialect: only the default shape is compared. Results: docs/benchmarks.md.
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { generateIotCsv } from '../local/sample-data/iot-csv-generator.js';
import { readCsvBatches, type CsvReadOptions } from '../shared/csv/csv-reader.js';

type ReadBatches = (input: Iterable<Uint8Array>, options?: CsvReadOptions) => AsyncIterable<readonly { kind: string }[]>;

interface Shape {
  readonly name: string;
  readonly chunks: readonly Uint8Array[];
  readonly options?: CsvReadOptions;
}

const CHUNK_BYTES = 64 * 1024;

function chunked(bytes: Buffer): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let offset = 0; offset < bytes.length; offset += CHUNK_BYTES) chunks.push(bytes.subarray(offset, offset + CHUNK_BYTES));
  return chunks;
}

/** Reads the whole file once; returns the CPU seconds it took and the items it yielded. */
async function readOnce(read: ReadBatches, shape: Shape): Promise<{ cpuSeconds: number; items: number }> {
  const before = process.cpuUsage();
  let items = 0;
  for await (const batch of read(shape.chunks, shape.options)) items += batch.length;
  const used = process.cpuUsage(before);
  return { cpuSeconds: (used.user + used.system) / 1e6, items };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

const microseconds = (cpuSeconds: number, rows: number) => (cpuSeconds * 1e6) / rows;

interface Reader {
  readonly name: string;
  readonly read: ReadBatches;
  readonly shapes: readonly Shape[];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { rows: { type: 'string', default: '200000' }, rounds: { type: 'string', default: '7' }, against: { type: 'string' } },
  });
  const rows = Number(values.rows);
  const rounds = Number(values.rounds);
  if (!Number.isSafeInteger(rows) || rows < 1 || !Number.isSafeInteger(rounds) || rounds < 1)
    throw new Error('--rows and --rounds must be positive integers');

  const text = [...generateIotCsv({ rows, seed: 11 }).chunks].join('');
  const readers = await benchReaders(benchShapes(text), values.against);
  console.log(
    `${rows} rows (${(Buffer.byteLength(text) / 1024 / 1024).toFixed(1)} MiB), ${rounds} rounds after one warm-up round, CPU of this process`,
  );
  if (values.against !== undefined) console.log(`--against: ${resolve(values.against)}`);
  printSamples(await measureRounds(readers, rows, rounds));
}

/** The same rows in the four shapes the header lists. */
function benchShapes(text: string): Shape[] {
  // Semicolons everywhere: quoted locations ("Building 3, floor 1") stay quoted, their comma becomes a semicolon.
  const semicolons = text.replaceAll(',', ';');
  const semicolonDialect = { delimiter: ';', quote: '"', escape: '"', skipRows: 0 };
  return [
    { name: 'utf-8 ,', chunks: chunked(Buffer.from(text, 'utf8')) },
    { name: 'utf-8 ;', chunks: chunked(Buffer.from(semicolons, 'utf8')), options: { dialect: semicolonDialect } },
    {
      name: 'windows-1252 ;',
      chunks: chunked(Buffer.from(semicolons, 'latin1')),
      options: { dialect: semicolonDialect, encoding: 'windows-1252' },
    },
    {
      name: 'utf-16le ;',
      chunks: chunked(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(semicolons, 'utf16le')])),
      options: { dialect: semicolonDialect },
    },
  ];
}

/** This checkout's reader on every shape, and the `--against` reader on the default shape only. */
async function benchReaders(shapes: readonly Shape[], against: string | undefined): Promise<Reader[]> {
  const other =
    against === undefined
      ? undefined
      : ((await import(pathToFileURL(resolve(against)).href)) as { readCsvBatches: ReadBatches }).readCsvBatches;
  return [
    { name: 'this checkout', read: readCsvBatches as ReadBatches, shapes },
    ...(other === undefined ? [] : [{ name: '--against', read: other, shapes: shapes.slice(0, 1) }]),
  ];
}

/** µs CPU per row for each reader and shape, round by round (A B A B …) after one warm-up round. */
async function measureRounds(readers: readonly Reader[], rows: number, rounds: number): Promise<Map<string, number[]>> {
  const samples = new Map<string, number[]>();
  for (let round = 0; round <= rounds; round += 1) {
    for (const reader of readers) {
      for (const shape of reader.shapes) {
        const { cpuSeconds, items } = await readOnce(reader.read, shape);
        // Every data row and the header, whatever the dialect or encoding: the same work was done.
        if (items !== rows + 1) throw new Error(`${reader.name}, ${shape.name}: read ${items} items, expected ${rows + 1}`);
        if (round === 0) continue;
        const key = `${reader.name}|${shape.name}`;
        samples.set(key, [...(samples.get(key) ?? []), microseconds(cpuSeconds, rows)]);
      }
    }
  }
  return samples;
}

function printSamples(samples: ReadonlyMap<string, readonly number[]>): void {
  const base = median(samples.get(`this checkout|utf-8 ,`) ?? []);
  console.log(
    `${'reader'.padEnd(14)} ${'shape'.padEnd(16)} ${'µs CPU/row (median)'.padStart(20)} ${'min'.padStart(7)} ${'max'.padStart(7)}  vs this checkout's utf-8 ,`,
  );
  for (const [key, list] of samples) {
    const [reader, shape] = key.split('|') as [string, string];
    const value = median(list);
    console.log(
      `${reader.padEnd(14)} ${shape.padEnd(16)} ${value.toFixed(3).padStart(20)} ${Math.min(...list)
        .toFixed(3)
        .padStart(7)} ${Math.max(...list)
        .toFixed(3)
        .padStart(7)}  ${(value / base).toFixed(3)}`,
    );
  }
}

await main();
