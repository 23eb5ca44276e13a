/**
 * `npm run soak -- --minutes 30`: a steady load at about half the measured capacity for a long
 * while, on the real `npm start`. It first measures the capacity with one file (or takes `--rate`),
 * then uploads a file every `--every` seconds at half that rate, samples every process's resident
 * memory and both hubs' lag, and at the end reports per process the RSS slope, the lag and the
 * files' latency, and the invariants over everything it uploaded. A benchmark, not a test.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { uploadGeneratedIotCsv } from '../local/cli/upload-file.js';
import { createEventHubsLagReader } from '../local/scaler/event-hub-lag.js';
import { hubUnprocessedEvents } from '../local/scaler/partition-lag.js';
import { iotEventsDataset } from '../shared/datasets/iot-events.js';
import { checkInvariants, type UploadedFile } from './invariants.js';
import { ourFiles, waitUntil } from './run-scenario.js';
import { processMemory, spread, type RssSample } from './soak-summary.js';
import { StackUnderTest } from './stack-under-test.js';

const USAGE = `Usage: npm run soak -- [options]

  --minutes N           how long the steady load runs (default 30)
  --rate R              rows per second to send; without it, half the capacity measured first
  --load F              share of the measured capacity to send (default 0.5)
  --calibration-rows N  rows of the file that measures the capacity (default 200000)
  --every S             seconds between uploads (default 10)
  --sample S            seconds between samples (default 5)
  --placement P         npm start's placement (default per-function)
  --out FILE            also write the report (Markdown) to FILE
  -h, --help            this text`;

interface Options {
  readonly minutes: number;
  readonly rate?: number;
  readonly load: number;
  readonly calibrationRows: number;
  readonly everySeconds: number;
  readonly sampleSeconds: number;
  readonly placement: string;
  readonly out?: string;
}

function options(): Options | undefined {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string', default: '30' },
      rate: { type: 'string' },
      load: { type: 'string', default: '0.5' },
      'calibration-rows': { type: 'string', default: '200000' },
      every: { type: 'string', default: '10' },
      sample: { type: 'string', default: '5' },
      placement: { type: 'string', default: 'per-function' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return undefined;
  const positive = (name: string, text: string | undefined) => {
    const value = Number(text);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number, got '${text}'`);
    return value;
  };
  return {
    minutes: positive('minutes', values.minutes),
    rate: values.rate === undefined ? undefined : positive('rate', values.rate),
    load: positive('load', values.load),
    calibrationRows: Math.round(positive('calibration-rows', values['calibration-rows'])),
    everySeconds: positive('every', values.every),
    sampleSeconds: positive('sample', values.sample),
    placement: values.placement,
    out: values.out,
  };
}

/** Resident set size of a process in MiB, from /proc; undefined when it is gone. */
function rssMiB(pid: number): number | undefined {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<number> {
  const chosen = options();
  if (chosen === undefined) {
    console.log(USAGE);
    return 0;
  }
  const stateDir = await mkdtemp(join(tmpdir(), 'etl-soak-'));
  const stack = new StackUnderTest(stateDir);
  try {
    await stack.start({ args: ['--placement', chosen.placement] });
    const uploaded: UploadedFile[] = [];
    const landing = stack.settings.ETL_LANDING_CONTAINER ?? 'landing';
    const upload = async (rows: number) => {
      const blobName = `iot_events/soak-${String(uploaded.length + 1).padStart(5, '0')}.csv`;
      const expected = await uploadGeneratedIotCsv(
        stack.blobService(),
        blobName,
        { rows, seed: uploaded.length + 1, duplicateRate: 0.01, badRowRate: 0.005, spreadMinutes: 24 * 60 },
        landing,
      );
      uploaded.push({ blobName, expected });
      return { blobName, at: Date.now() };
    };
    const capacity = chosen.rate === undefined ? await measureCapacity(stack, uploaded, upload, chosen.calibrationRows) : undefined;
    const rate = chosen.rate ?? capacity! * chosen.load;
    console.log(
      `${capacity === undefined ? '' : `Capacity: ${Math.round(capacity).toLocaleString('en-US')} rows/s end to end; `}steady load: ${Math.round(rate).toLocaleString('en-US')} rows/s for ${chosen.minutes} min, a file every ${chosen.everySeconds} s`,
    );
    const run = await steadyLoad(stack, uploaded, upload, rate, chosen);
    const report = soakReport(run, chosen, rate, capacity);
    console.log(`\n${report}`);
    if (chosen.out) await writeFile(chosen.out, `${report}\n`);
    return run.violations.length === 0 ? 0 : 1;
  } finally {
    await stack.stop().catch(() => null);
    await rm(stateDir, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** Rows per second of one file, from its upload to its last window row (the load sits there while it runs). */
async function measureCapacity(
  stack: StackUnderTest,
  uploaded: UploadedFile[],
  upload: (rows: number) => Promise<{ at: number }>,
  rows: number,
): Promise<number> {
  console.log(`Measuring the capacity with one file of ${rows.toLocaleString('en-US')} rows…`);
  const { at } = await upload(rows);
  await waitSettled(stack, uploaded, 30 * 60_000);
  return rows / ((Date.now() - at) / 1000);
}

async function waitSettled(stack: StackUnderTest, uploaded: readonly UploadedFile[], timeoutMs: number): Promise<void> {
  const runtime = await stack.runtime();
  await waitUntil(
    'every file to settle',
    async () => {
      const files = await ourFiles({ runtime: () => stack.runtime(), uploaded });
      if (files.length < uploaded.length || files.some((file) => file.state !== 'complete' && file.state !== 'failed')) return false;
      const facts = await runtime.store.query.countFacts(iotEventsDataset);
      const windows = await runtime.store.windows.listWindows(iotEventsDataset, { limit: 10_000_000 });
      return windows.reduce((sum, window) => sum + window.count, 0) === facts;
    },
    timeoutMs,
    500,
  );
}

interface SoakRun {
  readonly seconds: number;
  readonly rows: number;
  readonly files: number;
  readonly rss: ReadonlyMap<string, RssSample[]>;
  readonly restarts: ReadonlyMap<string, number>;
  readonly lag: { readonly records: number[]; readonly aggregates: number[] };
  readonly latencySeconds: number[];
  readonly drainSeconds: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly deadLetters: number;
  readonly violations: readonly string[];
}

async function steadyLoad(
  stack: StackUnderTest,
  uploaded: UploadedFile[],
  upload: (rows: number) => Promise<{ blobName: string; at: number }>,
  rate: number,
  chosen: Options,
): Promise<SoakRun> {
  const settings = stack.settings;
  const lagReader = createEventHubsLagReader({
    eventHubsConnectionString: settings.ETL_EVENTHUB!,
    storageConnectionString: settings.AzureWebJobsStorage!,
    hubs: [
      { eventHubName: settings.ETL_RECORDS_HUB!, consumerGroup: settings.ETL_TRANSFORM_CONSUMER_GROUP! },
      { eventHubName: settings.ETL_AGGREGATES_HUB!, consumerGroup: settings.ETL_AGGREGATE_CONSUMER_GROUP! },
    ],
  });
  const rss = new Map<string, RssSample[]>();
  const pids = new Map<string, number>();
  const restarts = new Map<string, number>();
  const lag = { records: [] as number[], aggregates: [] as number[] };
  const sentAt = new Map<string, number>();
  const doneAt = new Map<string, number>();
  const startedAt = Date.now();
  const endAt = startedAt + chosen.minutes * 60_000;
  const rowsPerFile = Math.max(1, Math.round(rate * chosen.everySeconds));
  let rows = 0;
  let nextUpload = startedAt;
  let nextSample = startedAt;
  try {
    while (Date.now() < endAt) {
      if (Date.now() >= nextUpload) {
        const sent = await upload(rowsPerFile);
        sentAt.set(sent.blobName, sent.at);
        rows += rowsPerFile;
        nextUpload += chosen.everySeconds * 1000;
      }
      if (Date.now() >= nextSample) {
        await sample(stack, lagReader, startedAt, { rss, pids, restarts, lag });
        await noteCompletions(stack, uploaded, sentAt, doneAt);
        nextSample += chosen.sampleSeconds * 1000;
      }
      await sleep(Math.max(0, Math.min(nextUpload, nextSample) - Date.now()));
    }
    const drainFrom = Date.now();
    await waitSettled(stack, uploaded, 30 * 60_000);
    const drainSeconds = (Date.now() - drainFrom) / 1000;
    await noteCompletions(stack, uploaded, sentAt, doneAt);
    const report = await checkInvariants(await stack.runtime(), iotEventsDataset, uploaded);
    return {
      seconds: (drainFrom - startedAt) / 1000,
      rows,
      files: sentAt.size,
      rss,
      restarts,
      lag,
      latencySeconds: [...doneAt].map(([name, at]) => (at - sentAt.get(name)!) / 1000),
      drainSeconds,
      lost: report.lost,
      duplicated: report.duplicated,
      deadLetters: report.deadLetters,
      violations: report.violations,
    };
  } finally {
    await lagReader.close();
  }
}

async function sample(
  stack: StackUnderTest,
  lagReader: ReturnType<typeof createEventHubsLagReader>,
  startedAt: number,
  into: {
    rss: Map<string, RssSample[]>;
    pids: Map<string, number>;
    restarts: Map<string, number>;
    lag: { records: number[]; aggregates: number[] };
  },
): Promise<void> {
  const atSeconds = (Date.now() - startedAt) / 1000;
  const processes = [{ role: 'npm start', pid: stack.pid }, ...(await stack.children())];
  for (const { role, pid } of processes) {
    const previous = into.pids.get(role);
    if (previous !== undefined && previous !== pid) into.restarts.set(role, (into.restarts.get(role) ?? 0) + 1);
    into.pids.set(role, pid);
    const value = rssMiB(pid);
    if (value === undefined) continue;
    const list = into.rss.get(role) ?? [];
    list.push({ atSeconds, rssMiB: value });
    into.rss.set(role, list);
  }
  const hubs = await lagReader.read().catch(() => undefined);
  if (hubs) {
    into.lag.records.push(hubUnprocessedEvents(hubs[0]!, 'functions'));
    into.lag.aggregates.push(hubUnprocessedEvents(hubs[1]!, 'functions'));
  }
}

/** When each file was first seen complete, by the harness's clock. */
async function noteCompletions(
  stack: StackUnderTest,
  uploaded: readonly UploadedFile[],
  sentAt: ReadonlyMap<string, number>,
  doneAt: Map<string, number>,
): Promise<void> {
  const files = await ourFiles({ runtime: () => stack.runtime(), uploaded }).catch(() => []);
  for (const file of files)
    if (file.state === 'complete' && sentAt.has(file.blobName) && !doneAt.has(file.blobName)) doneAt.set(file.blobName, Date.now());
}

function soakReport(run: SoakRun, chosen: Options, rate: number, capacity: number | undefined): string {
  const f = (value: number | undefined, digits = 1) => (value === undefined ? '—' : value.toFixed(digits));
  const warmUp = Math.min(120, run.seconds / 4);
  const memory = [...run.rss].map(([role, samples]) => processMemory(role, samples, warmUp)).filter((entry) => entry !== undefined);
  const latency = spread(run.latencySeconds);
  const records = spread(run.lag.records);
  const aggregates = spread(run.lag.aggregates);
  return [
    `## Soak: ${chosen.minutes} min at ${Math.round(rate).toLocaleString('en-US')} rows/s${capacity === undefined ? '' : ` (${chosen.load} × the measured ${Math.round(capacity).toLocaleString('en-US')} rows/s)`}, placement ${chosen.placement}`,
    '',
    `${run.rows.toLocaleString('en-US')} rows in ${run.files} files over ${f(run.seconds / 60)} min; the backlog drained ${f(run.drainSeconds)} s after the last upload.`,
    '',
    '| process | RSS at start MiB | at end MiB | max MiB | slope MiB/h (after the first ' + f(warmUp, 0) + ' s) | restarts |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...memory.map(
      (entry) =>
        `| ${entry.role} | ${f(entry.startMiB)} | ${f(entry.endMiB)} | ${f(entry.maxMiB)} | ${f(entry.slopeMiBPerHour)} | ${run.restarts.get(entry.role) ?? 0} |`,
    ),
    '',
    '| measure | mean | p50 | p95 | max |',
    '| --- | ---: | ---: | ---: | ---: |',
    `| records hub lag (events) | ${f(records?.mean)} | ${f(records?.p50, 0)} | ${f(records?.p95, 0)} | ${f(records?.max, 0)} |`,
    `| aggregates hub lag (events) | ${f(aggregates?.mean)} | ${f(aggregates?.p50, 0)} | ${f(aggregates?.p95, 0)} | ${f(aggregates?.max, 0)} |`,
    `| file latency, upload → complete (s) | ${f(latency?.mean)} | ${f(latency?.p50)} | ${f(latency?.p95)} | ${f(latency?.max)} |`,
    '',
    `Accounting at the end: lost ${run.lost}, duplicated ${run.duplicated}, dead letters ${run.deadLetters}; ${run.violations.length === 0 ? 'every invariant holds' : `violations: ${run.violations.join('; ')}`}.`,
  ].join('\n');
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`npm run soak failed: ${(error as Error).message}`);
    process.exit(1);
  },
);
