/**
 * `npm run bench`: the whole local pipeline on a generated IoT CSV, beside two baselines measured
 * in the same run on the same file:
 *   1. raw parse rate of the CSV library (csv-parse, records counted, nothing else);
 *   2. a naive single-process loader: parse → validate → SQLite, one transaction;
 *   3. end to end: upload to `landing` → all facts and window aggregates committed (Azurite,
 *      Event Hubs emulator, local Functions host, SQLite), once per function placement: each
 *      function in processes of its own (Flex Consumption), and every function in each host;
 *   4. the extract's peak RSS on a large file (a child process running only the extract);
 *   5. the floor: the CPU per row of each part the end-to-end run must do, measured alone (`floor-bench.ts`),
 *      and the fastest rate their sum allows on this machine's cores.
 *
 * Options: --rows N (default 1,000,000), --extract-mb M (size of the memory file, default 1024;
 * 0 skips it), --partitions P (default 4), --instances I (Functions host processes, default 1; with
 * per-function placement it may name functions, e.g. 'transform=2'),
 * --placement per-function,shared (default both), --files N (the file cut into N uploaded at once,
 * default 1), --stages parse,naive,e2e,extract,floor (default all),
 * --verbose (the local stack's log on stderr, and when the file was extracted and completed).
 */
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { spawn } from 'node:child_process';
import { parse } from 'csv-parse';
import Database from 'better-sqlite3';
import { writeIotCsvFile } from '../local/sample-data/iot-csv-generator.js';
import { startLocalStack, REPOSITORY_ROOT, FUNCTION_PLACEMENTS, type FunctionPlacement } from '../local/cli/local-stack.js';
import { uploadCsv } from '../local/cli/upload-file.js';
import { describeInstances, oneOf, parseInstances, type InstanceCounts } from '../local/cli/cli-options.js';
import { getEtlRuntime } from '../shared/runtime/etl-runtime.js';
import { iotEventsDataset } from '../shared/datasets/iot-events.js';
import { readCsv } from '../shared/csv/csv-reader.js';
import { bindHeader } from '../shared/validation/header-binding.js';
import { validateRow } from '../shared/validation/validate-row.js';
import { cpuBetween, stackCpuSnapshot, type CpuUse } from '../load-tests/process-cpu.js';
import { measureFloor, type FloorResult } from './floor-bench.js';

const number = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

async function rawParseRate(path: string): Promise<number> {
  const started = performance.now();
  let records = 0;
  const parser = createReadStream(path).pipe(parse({ relax_column_count: true }));
  for await (const _record of parser) records += 1;
  return (records - 1) / ((performance.now() - started) / 1000);
}

async function naiveLoaderRate(path: string, directory: string): Promise<number> {
  const dataset = iotEventsDataset;
  const database = new Database(join(directory, 'naive.sqlite'));
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  const columns = dataset.columns.map((column) => `"${column.name}"`);
  database.exec(
    `CREATE TABLE facts (${columns.map((name, index) => `${name}${index === 0 ? ' TEXT PRIMARY KEY' : ''}`).join(', ')}) WITHOUT ROWID`,
  );
  const insert = database.prepare(`INSERT OR IGNORE INTO facts VALUES (${columns.map(() => '?').join(', ')})`);
  const started = performance.now();
  let rows = 0;
  let binding: ReturnType<typeof bindHeader> | undefined;
  database.exec('BEGIN');
  for await (const item of readCsv(createReadStream(path))) {
    if (item.kind === 'header') binding = bindHeader(dataset, item.fields);
    else if (item.kind === 'row' && binding?.ok) {
      const validation = validateRow(dataset, binding.binding, item.fields);
      rows += 1;
      if (validation.ok) insert.run(dataset.columns.map((column) => validation.row[column.name] ?? null));
    } else rows += 1;
  }
  database.exec('COMMIT');
  database.close();
  return rows / ((performance.now() - started) / 1000);
}

/**
 * The generated file cut into `count` files at line boundaries, each with the header, so several
 * files (jobs) run at once on the same rows. Duplicates may then cross files: totals still add up.
 */
async function splitIntoFiles(path: string, count: number): Promise<string[]> {
  if (count === 1) return [path];
  const text = await readFile(path, 'utf8');
  const headerEnd = text.indexOf('\n') + 1;
  const header = text.slice(0, headerEnd);
  const parts: string[] = [];
  let from = headerEnd;
  for (let part = 1; part <= count; part += 1) {
    let to = part === count ? text.length : Math.floor(headerEnd + ((text.length - headerEnd) * part) / count);
    if (part < count) to = text.indexOf('\n', to) + 1 || text.length;
    const partPath = `${path}.part${part}.csv`;
    await writeFile(partPath, header + text.slice(from, to));
    parts.push(partPath);
    from = to;
  }
  return parts;
}

async function endToEnd(
  path: string,
  directory: string,
  rows: number,
  options: { partitions: number; instances: InstanceCounts; placement: FunctionPlacement; files: number; verbose: boolean },
): Promise<{ rowsPerSecond: number; seconds: number; loaded: number; duplicates: number; rejected: number; cpu: CpuUse }> {
  const { partitions, instances, placement, files, verbose } = options;
  const parts = await splitIntoFiles(path, files);
  const stack = await startLocalStack({
    stateDir: join(directory, `stack-${placement}-${files}`),
    ports: 'free',
    partitions,
    instances: instances.each,
    functionInstances: instances.perFunction,
    placement,
    scanIntervalMs: 200,
    log: verbose ? (line: string) => console.error(line) : () => {},
  });
  try {
    const runtime = await getEtlRuntime();
    const cpuBefore = stackCpuSnapshot(stack);
    const started = performance.now();
    const startedAt = Date.now();
    await Promise.all(
      parts.map((part, index) => uploadCsv(stack.blobService, `iot_events/bench-${index + 1}.csv`, createReadStream(part))),
    );
    if (verbose) console.error(`upload of ${parts.length} file(s) done after ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
    const deadline = Date.now() + 30 * 60_000;
    for (;;) {
      const manifests = await runtime.store.manifest.listFiles({ limit: parts.length + 1 });
      const failed = manifests.find((file) => file.state === 'failed');
      if (failed) throw new Error(`file ${failed.blobName} failed: ${failed.error}`);
      if (manifests.length === parts.length && manifests.every((file) => file.state === 'complete')) {
        const loaded = manifests.reduce((sum, file) => sum + file.loadedRows, 0);
        const windows = await runtime.store.windows.listWindows(iotEventsDataset);
        if (windows.reduce((sum, window) => sum + window.count, 0) === loaded) {
          const seconds = (performance.now() - started) / 1000;
          const cpu = cpuBetween(cpuBefore, stackCpuSnapshot(stack));
          if (verbose) {
            const after = (at: string | null) => (at === null ? '-' : `${((Date.parse(at) - startedAt) / 1000).toFixed(1)} s`);
            for (const file of manifests) {
              console.error(
                `${file.blobName}: received after ${after(file.receivedAt)}, extracted after ${after(file.extractedAt)}, facts complete after ${after(file.completedAt)}`,
              );
            }
            console.error(`windows complete after ${seconds.toFixed(1)} s`);
          }
          const sum = (field: 'duplicateRows' | 'rejectedRows') => manifests.reduce((total, file) => total + file[field], 0);
          return { rowsPerSecond: rows / seconds, seconds, loaded, duplicates: sum('duplicateRows'), rejected: sum('rejectedRows'), cpu };
        }
      }
      if (Date.now() > deadline) throw new Error('the end-to-end run did not finish in 30 minutes');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await stack.close();
  }
}

/**
 * Extract alone, in a child process, on a big file; returns the child's peak RSS (VmHWM). The child
 * runs the extract compiled to JavaScript (tsconfig.build.json), as Azure runs it: under the tsx
 * loader the same extract peaks higher, as tsx's loader thread holds a V8 heap of its own
 * (docs/benchmarks.md, "Extract memory").
 */
async function extractPeakRss(
  directory: string,
  megabytes: number,
  partitions: number,
  heapLimitsMb: readonly (number | undefined)[],
): Promise<{ heapLimitMb: number | undefined; peakMb: number; fileMb: number; seconds: number; rows: number }[]> {
  const path = join(directory, 'big.csv');
  const rows = Math.round((megabytes * 1024 * 1024) / 118); // ~118 bytes per generated row
  await writeIotCsvFile(path, { rows, seed: 11, duplicateRate: 0.02, badRowRate: 0.01 });
  const fileMb = (await stat(path)).size / 1024 / 1024;
  const build = await compileExtractChild(directory);
  const stack = await startLocalStack({
    stateDir: join(directory, 'extract-stack'),
    ports: 'free',
    partitions,
    functionsHost: false,
    log: () => {},
    settings: { ETL_SQLITE_PATH: join(directory, 'extract.sqlite') },
  });
  try {
    const results = [];
    for (const [run, heapLimitMb] of heapLimitsMb.entries()) {
      // Each run extracts the same content under its own name, so none is skipped as already extracted.
      const name = `iot_events/big-${run}.csv`;
      await uploadCsv(stack.blobService, name, createReadStream(path));
      const started = performance.now();
      const result = await runExtractChild(build, name, heapLimitMb, stack.settings);
      results.push({
        heapLimitMb,
        peakMb: result.peakRssMb,
        fileMb,
        seconds: (performance.now() - started) / 1000,
        rows: result.totalRows,
      });
    }
    return results;
  } finally {
    await stack.close();
  }
}

/** Compiles bench/extract-only.ts with the build's settings into `<directory>/extract-build`; returns that folder. */
async function compileExtractChild(directory: string): Promise<string> {
  const build = join(directory, 'extract-build');
  await mkdir(build);
  // The repository's packages (and type definitions) for compiled files that live outside it.
  await symlink(join(REPOSITORY_ROOT, 'node_modules'), join(build, 'node_modules'), 'dir');
  await writeFile(join(build, 'package.json'), '{ "type": "module" }');
  await writeFile(
    join(build, 'tsconfig.json'),
    JSON.stringify({
      extends: join(REPOSITORY_ROOT, 'tsconfig.build.json'),
      compilerOptions: { rootDir: REPOSITORY_ROOT, outDir: build },
      include: [],
      files: [join(REPOSITORY_ROOT, 'bench', 'extract-only.ts')],
    }),
  );
  const compiler = spawn(
    process.execPath,
    [join(REPOSITORY_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(build, 'tsconfig.json')],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  const [compiled] = (await once(compiler, 'exit')) as [number];
  if (compiled !== 0) throw new Error(`compiling the extract child failed (tsc exited with ${compiled})`);
  return build;
}

/** Extracts the blob `name` in a compiled child under an optional heap limit; returns what the child reports last. */
async function runExtractChild(
  build: string,
  name: string,
  heapLimitMb: number | undefined,
  settings: Readonly<Record<string, string>>,
): Promise<{ peakRssMb: number; totalRows: number }> {
  const flags = heapLimitMb ? [`--max-old-space-size=${heapLimitMb}`] : [];
  const child = spawn(process.execPath, [...flags, join(build, 'bench', 'extract-only.js'), name], {
    env: { ...process.env, ...settings },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.on('data', (data: Buffer) => (output += data.toString()));
  const [code] = (await once(child, 'exit')) as [number];
  if (code !== 0) throw new Error(`extract child exited with ${code}`);
  return JSON.parse(output.trim().split('\n').pop()!) as { peakRssMb: number; totalRows: number };
}

/** CPU microseconds per row. */
const cpuPerRow = (cpuSeconds: number, rows: number) => (cpuSeconds / rows) * 1e6;

/** The fastest rate this machine's cores allow at that much CPU per row, with perfect overlap. */
const rowsPerSecondAllowed = (microsecondsPerRow: number) => number.format((availableParallelism() * 1e6) / microsecondsPerRow);

/**
 * Where the cores went: CPU seconds per process over the run, the CPU the whole pipeline spent per
 * row, and the rate that much work per row allows on this machine's cores, however well it overlaps.
 */
function printCpuUse(cpu: CpuUse, rows: number, seconds: number): void {
  if (cpu.processes.length === 0) return;
  const cores = availableParallelism();
  const microsecondsPerRow = cpuPerRow(cpu.totalSeconds, rows);
  console.log(
    `  CPU over the run, per process: ${cpu.processes.map((process) => `${process.name} ${process.seconds.toFixed(1)} s`).join(', ')}`,
  );
  console.log(
    `  ${cpu.totalSeconds.toFixed(1)} CPU-s in all, ${microsecondsPerRow.toFixed(1)} µs per row, ${Math.round((100 * cpu.totalSeconds) / (cores * seconds))} % of ${cores} cores; ` +
      `that much work per row allows at most ${rowsPerSecondAllowed(microsecondsPerRow)} rows/s here`,
  );
}

const USAGE = `Usage: npm run bench -- [options]

  --rows N             rows of the generated IoT file (default 1000000)
  --stages A,B         of parse, naive, e2e, extract, floor (default all)
  --placement A,B      per-function and/or shared, for the end-to-end stage (default both)
  --partitions P       records and aggregates partitions (default 4)
  --instances I        host processes (default 1); with per-function placement it may name
                       functions, e.g. transform=2
  --files N            cut the file into N uploaded at once (default 1)
  --extract-mb M       size of the file of the extract memory stage (default 1024; 0 skips it)
  --verbose            the local stack's log on stderr
  -h, --help           this text

Measurements and how to read them: docs/benchmarks.md`;

/** What `npm run bench` is asked to run, checked before anything starts; undefined after --help. */
function benchArgs() {
  const { values } = parseArgs({
    options: {
      help: { type: 'boolean', short: 'h', default: false },
      rows: { type: 'string', default: '1000000' },
      'extract-mb': { type: 'string', default: '1024' },
      partitions: { type: 'string', default: '4' },
      instances: { type: 'string', default: '1' },
      stages: { type: 'string', default: 'parse,naive,e2e,extract,floor' },
      placement: { type: 'string', default: 'per-function,shared' },
      files: { type: 'string', default: '1' },
      verbose: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return undefined;
  }
  const stages = new Set(values.stages.split(','));
  const instances = parseInstances(values.instances);
  const files = Number(values.files);
  if (!Number.isSafeInteger(files) || files < 1) throw new Error(`--files must be a positive integer, got '${values.files}'`);
  const placements = values.placement.split(',').map((placement) => oneOf('placement', FUNCTION_PLACEMENTS, placement));
  if (stages.has('e2e') && Object.keys(instances.perFunction).length > 0 && placements.includes('shared')) {
    throw new Error("--instances names functions: that needs --placement per-function (every process runs every function under 'shared')");
  }
  return {
    stages,
    instances,
    rows: Number(values.rows),
    extractMb: Number(values['extract-mb']),
    partitions: Number(values.partitions),
    files,
    placements,
    verbose: values.verbose,
  };
}

async function main(): Promise<void> {
  const args = benchArgs();
  if (args === undefined) return;
  const { stages, instances, rows, extractMb, partitions, files, placements, verbose } = args;
  const directory = await mkdtemp(join(tmpdir(), 'etl-bench-'));
  try {
    const path = join(directory, 'iot.csv');
    console.log(`Generating ${number.format(rows)} IoT rows (2 % duplicates, 1 % bad rows)…`);
    const expected = await writeIotCsvFile(path, { rows, seed: 1, duplicateRate: 0.02, badRowRate: 0.01 });
    console.log(
      `  ${((await stat(path)).size / 1024 / 1024).toFixed(1)} MB, ${number.format(expected.badRows)} bad, ${number.format(expected.duplicateRows)} duplicates`,
    );

    if (stages.has('parse')) {
      const parseRate = await rawParseRate(path);
      console.log(`Baseline 1 — csv-parse raw parse:            ${number.format(parseRate)} rows/s`);
    }
    if (stages.has('naive')) {
      const naiveRate = await naiveLoaderRate(path, directory);
      console.log(`Baseline 2 — naive loader (parse→SQLite):    ${number.format(naiveRate)} rows/s`);
    }
    // CPU per row of each end-to-end run, for the comparison with the floor.
    const endToEndCpu: EndToEndCpu[] = [];
    for (const placement of stages.has('e2e') ? placements : []) {
      const e2e = await endToEnd(path, directory, rows, { partitions, instances, placement, files, verbose });
      if (e2e.cpu.processes.length > 0) endToEndCpu.push({ placement, microsecondsPerRow: cpuPerRow(e2e.cpu.totalSeconds, rows) });
      const layout = describeInstances(instances, placement) + (files > 1 ? `, ${files} files at once` : '');
      console.log(
        `End to end (${placement.padEnd(12)}) — landing → facts + aggregates: ${number.format(e2e.rowsPerSecond)} rows/s ` +
          `(${e2e.seconds.toFixed(1)} s; ${number.format(e2e.loaded)} loaded, ${number.format(e2e.duplicates)} duplicate, ${number.format(e2e.rejected)} rejected; ${layout})`,
      );
      printCpuUse(e2e.cpu, rows, e2e.seconds);
    }
    if (stages.has('floor')) printFloor(await measureFloor(path, directory, { partitions }), endToEndCpu);
    if (extractMb > 0 && stages.has('extract')) {
      // Default V8 heap sizing, then with the old space capped (what `languageWorkers__node__arguments` can set in Azure).
      for (const memory of await extractPeakRss(directory, extractMb, partitions, [undefined, 160])) {
        const heap = memory.heapLimitMb ? `--max-old-space-size=${memory.heapLimitMb}` : 'default heap';
        console.log(
          `Extract peak RSS on a ${memory.fileMb.toFixed(0)} MB file (extract compiled to JS, ${heap}): ${memory.peakMb.toFixed(0)} MB ` +
            `(${number.format(memory.rows)} rows in ${memory.seconds.toFixed(1)} s, ${number.format(memory.rows / memory.seconds)} rows/s)`,
        );
      }
    }
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

/** An end-to-end run's CPU per row, for the comparison with the floor. */
interface EndToEndCpu {
  readonly placement: FunctionPlacement;
  readonly microsecondsPerRow: number;
}

/** The floor's parts per row, their sum and the rate it allows, and how far above it each end-to-end run was. */
function printFloor(floor: FloorResult, endToEndCpu: readonly EndToEndCpu[]): void {
  const perRow = (seconds: number) => cpuPerRow(seconds, floor.rows);
  console.log('Floor — CPU per row of each part of the end-to-end run, measured alone:');
  for (const part of floor.parts) {
    const service = part.service ? ` (${part.service.name} ${perRow(part.service.cpuSeconds).toFixed(1)})` : '';
    console.log(`  ${part.name.padEnd(30)} ${perRow(part.cpuSeconds).toFixed(1).padStart(5)} µs${service}`);
  }
  const sum = perRow(floor.parts.reduce((total, part) => total + part.cpuSeconds, 0));
  console.log(
    `  the parts sum to ${sum.toFixed(1)} µs per row: even with no other work and perfect overlap, ` +
      `${availableParallelism()} cores allow at most ${rowsPerSecondAllowed(sum)} rows/s here`,
  );
  for (const run of endToEndCpu) {
    console.log(
      `  the ${run.placement} end-to-end run spent ${run.microsecondsPerRow.toFixed(1)} µs per row, ${(run.microsecondsPerRow - sum).toFixed(1)} above the floor ` +
        '(host, checkpoints, manifests, partials, aggregation, polling, and running it all at once)',
    );
  }
}

main().catch((error: unknown) => {
  // A wrong option is the user's mistake, not a crash: its message and the usage, exit 2.
  if ((error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    console.error(`bench: ${(error as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  console.error(error);
  process.exit(1);
});
