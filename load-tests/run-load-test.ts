/**
 * `npm run load-test -- --profile burst|steady|ramp`: starts the local stack, uploads generated IoT
 * files on the profile's schedule, samples the pipeline while it works, and writes a report with
 * charts (see load-report.ts) to `load-test-results/<profile>-<run id>/`.
 *
 * With `--status-url <https://app/api>` it drives a pipeline that is already running instead, such
 * as a deployment on Azure: it uploads to that pipeline's storage account (`--storage` or
 * `ETL_LOAD_TEST_STORAGE`, a connection string) and reads that status API (function key from
 * `ETL_FUNCTION_KEY`). Counters and CPU per process are then left out: only the local stack's
 * processes can be read.
 *
 * The collector reads what a user of the stack can read: the status API (`/api/files` for each
 * file's row counts and stage times, `/api/deadletters`), every host process's `/api/metrics`
 * (names from the one list in shared/telemetry/metric-names.ts) for chunks published and retries,
 * and, on Linux, each process's CPU time.
 *
 * Options: --profile (default burst), --files N (4), --rows N per file (100000), --interval S
 * seconds between uploads (5; burst ignores it), --placement shared|per-function (per-function),
 * --instances N (1; per-function placement may name functions: transform=2), --partitions N (4), --sample-ms N (500), --out DIR, --timeout-minutes N (30),
 * --verbose (the stack's log on stderr). With --autoscale functions|keda the local scaler adds and
 * removes whole host processes by the platform's rules (shared placement; --max-instances N (4),
 * --scale-poll-ms N (1000), --hold-ms N (30000) for the scale-in hold and the HPA's scale-down
 * window, as in `npm run scale:compare`), and the report charts the instances. --chunk-rows N sets
 * the rows per chunk event (`ETL_CHUNK_MAX_ROWS`): smaller chunks give the scaler more events.
 * Against a running pipeline: --status-url, --storage, --landing-container NAME (landing); the
 * options that shape the local stack are refused there.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { pathToFileURL } from 'node:url';
import { generateIotCsv } from '../local/sample-data/iot-csv-generator.js';
import { LOAD_PROFILES, LOAD_PROFILE_NAMES, planUploads, type LoadProfileName, type PlannedUpload } from './load-profiles.js';
import { summarize, writeLoadReport, type LoadFileResult, type LoadRunResult, type LoadSample, type LoadSummary } from './load-report.js';
import { cpuBetween, stackCpuSnapshot, type CpuUse } from './process-cpu.js';
import type { BlobServiceClient } from '@azure/storage-blob';
import {
  FUNCTION_PLACEMENTS,
  REPOSITORY_ROOT,
  startLocalStack,
  type FunctionPlacement,
  type LocalStack,
} from '../local/cli/local-stack.js';
import { uploadCsv } from '../local/cli/upload-file.js';
import { describeInstances, oneOf, parseInstances } from '../local/cli/cli-options.js';
import { scrapeMetrics, sumOf } from '../shared/telemetry/prometheus-text-parser.js';
import type { MetricName } from '../shared/telemetry/metric-names.js';
import { MAX_LIST_LIMIT, type FileStatus } from '../shared/status/status-service.js';
import {
  REQUEST_TIMEOUT_MS,
  remoteBlobService,
  remoteFromArgs,
  statusApi,
  type ClockOffset,
  type RemoteLoadTarget,
  type StatusApi,
} from './remote-target.js';
import { sleep } from '../local/host/listeners/trigger-listener.js';
import { SCALING_MODES, type ScalingMode } from '../local/scaler/scaling-formulas.js';
import { summarizeScalerHistory } from '../local/scaler/scaler-history.js';
import { withScaleInHold } from '../local/scaler/pipeline-autoscaler.js';

export interface LoadTestAutoscale {
  readonly mode: ScalingMode;
  readonly maxInstances: number;
  readonly pollMs: number;
  /** Functions' scale-in hold and the HPA's scale-down window, both. */
  readonly holdMs: number;
}

export interface LoadTestOptions {
  readonly profile: LoadProfileName;
  readonly files: number;
  readonly rows: number;
  readonly intervalSeconds: number;
  readonly placement: FunctionPlacement;
  readonly instances: number;
  /** 'per-function' placement: processes for named functions (the others get `instances`). */
  readonly functionInstances?: Readonly<Record<string, number>>;
  readonly partitions: number;
  readonly sampleMs: number;
  /** Where the report goes; default `load-test-results/<profile>-<run id>` in the repository. */
  readonly outDir?: string;
  readonly timeoutSeconds: number;
  /** Rows per chunk event (`ETL_CHUNK_MAX_ROWS`; default the app's). Smaller chunks, more events: more lag for a scaler to see. */
  readonly chunkRows?: number;
  /** Autoscale whole host processes with the local scaler (needs the 'shared' placement). */
  readonly autoscale?: LoadTestAutoscale;
  /**
   * Drive this running pipeline instead of starting the local stack. The options that shape the
   * stack (placement, instances, partitions, chunk rows, autoscale) do not apply then.
   */
  readonly remote?: RemoteLoadTarget;
  /** The stack's own log lines (default: dropped). */
  readonly stackLog?: (line: string) => void;
  /** Progress lines of the run (default: console.log). */
  readonly log?: (line: string) => void;
}

export interface LoadTestOutcome {
  readonly run: LoadRunResult;
  readonly summary: LoadSummary;
  readonly reportPath: string;
  /** Every file complete, none failed, every row accounted for. */
  readonly ok: boolean;
}

/** Counters the collector sums over the hosts' `/api/metrics`. */
const COLLECTED_COUNTERS = ['etl_chunks_published_total', 'etl_retry_attempts_total'] as const satisfies readonly MetricName[];
type CollectedCounter = (typeof COLLECTED_COUNTERS)[number];

async function countersOf(stack: LocalStack): Promise<Record<CollectedCounter, number>> {
  const totals = Object.fromEntries(COLLECTED_COUNTERS.map((name) => [name, 0])) as Record<CollectedCounter, number>;
  for (const host of stack.hostProcesses) {
    if (host.httpUrl === undefined || !host.functions.includes('metrics')) continue;
    const parsed = await scrapeMetrics(`${host.httpUrl}/api/metrics`, AbortSignal.timeout(REQUEST_TIMEOUT_MS));
    for (const name of COLLECTED_COUNTERS) totals[name] += sumOf(parsed, name);
  }
  return totals;
}

/** What a run drives and reads: the local stack it started, or a pipeline already running. */
interface LoadTarget {
  readonly blobService: BlobServiceClient;
  readonly landingContainer: string;
  readonly status: StatusApi;
  /** True when stage times come from another machine's clock (a running pipeline). */
  readonly remote: boolean;
  /** Per-process counters and CPU: only for the local stack's own processes. */
  readonly stack?: LocalStack;
  readonly settings: Readonly<Record<string, string | number>>;
  close(): Promise<void>;
}

async function startLocalTarget(options: LoadTestOptions): Promise<LoadTarget> {
  const stateDir = await mkdtemp(join(tmpdir(), 'etl-load-test-'));
  const removeState = () => rm(stateDir, { recursive: true, force: true });
  const stack = await startLocalStack({
    stateDir,
    ports: 'free',
    partitions: options.partitions,
    instances: options.instances,
    functionInstances: options.functionInstances,
    placement: options.placement,
    scanIntervalMs: 200,
    settings: options.chunkRows === undefined ? undefined : { ETL_CHUNK_MAX_ROWS: String(options.chunkRows) },
    autoscale:
      options.autoscale &&
      withScaleInHold(
        { mode: options.autoscale.mode, max: options.autoscale.maxInstances, pollMs: options.autoscale.pollMs },
        options.autoscale.holdMs,
      ),
    log: options.stackLog ?? (() => {}),
  }).catch(async (error: unknown) => {
    await removeState();
    throw error;
  });
  const close = async () => {
    await stack.close();
    await removeState();
  };
  if (stack.httpUrl === undefined) {
    await close();
    throw new Error('the local stack serves no status API');
  }
  return {
    blobService: stack.blobService,
    landingContainer: 'landing',
    status: statusApi(`${stack.httpUrl}/api`),
    remote: false,
    stack,
    settings: {
      placement: options.placement,
      'host processes': describeInstances({ each: options.instances, perFunction: options.functionInstances ?? {} }, options.placement),
      partitions: options.partitions,
      ...(options.chunkRows === undefined ? {} : { 'rows per chunk event': options.chunkRows }),
      ...(options.autoscale
        ? {
            autoscaling: `${options.autoscale.mode}, up to ${options.autoscale.maxInstances} host instances, decisions every ${options.autoscale.pollMs} ms, scale-in hold ${options.autoscale.holdMs} ms`,
          }
        : {}),
    },
    close,
  };
}

async function remoteTarget(remote: RemoteLoadTarget): Promise<LoadTarget> {
  const blobService = await remoteBlobService(remote.storage);
  return {
    blobService,
    landingContainer: remote.landingContainer ?? 'landing',
    status: statusApi(remote.statusUrl, remote.functionKey),
    remote: true,
    // The account's name, never the connection string: that holds a key or a SAS.
    settings: { target: `running pipeline: storage account ${blobService.accountName}, status API ${remote.statusUrl}` },
    close: async () => {},
  };
}

export async function runLoadTest(options: LoadTestOptions): Promise<LoadTestOutcome> {
  const log = options.log ?? ((line: string) => console.log(line));
  const { plan, outDir } = planRun(options);
  const target = options.remote ? await remoteTarget(options.remote) : await startLocalTarget(options);
  // Stops uploads still waiting for their time: on a failed upload, at the timeout, and when the
  // run fails (a failed status request must not leave uploads landing in a deployment's storage).
  const stopUploads = new AbortController();
  let uploads: Promise<unknown> = Promise.resolve();
  try {
    log(
      `Load test '${options.profile}' (${LOAD_PROFILES[options.profile].description}): ${plan.length} file(s), ${plan.reduce((sum, upload) => sum + upload.rows, 0).toLocaleString('en-US')} rows` +
        (options.remote ? `, against the pipeline at ${options.remote.statusUrl}` : ''),
    );
    const meter = await startMeter(target, options);
    const startedAtMs = Date.now();
    const startedAt = performance.now();
    const elapsed = () => (performance.now() - startedAt) / 1000;
    const uploaded = scheduleUploads(plan, target, { startedAt, elapsed, stop: stopUploads, log });
    uploads = uploaded.done;
    const { samples, files } = await sampleUntilSettled(plan, target, uploaded, meter, { elapsed, options, log });
    // Uploads not started yet are dropped; one in flight is let finish before the stack closes.
    stopUploads.abort();
    await uploads;
    if (uploaded.error !== undefined) throw uploaded.error;
    const run = runResult(options, target, { plan, samples, files, uploaded, startedAtMs, cpu: meter.cpu() });
    const summary = summarize(run);
    const { report } = await writeLoadReport(outDir, run);
    const ok = summary.filesComplete === summary.files && summary.allBalanced;
    return { run, summary, reportPath: report, ok };
  } finally {
    stopUploads.abort();
    await uploads;
    await target.close();
  }
}

/** The run's uploads and report folder; refuses what the status API cannot follow or a running pipeline cannot take. */
function planRun(options: LoadTestOptions): { plan: PlannedUpload[]; outDir: string } {
  const runId = `${new Date().toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-')}-${Math.random().toString(36).slice(2, 6)}`;
  const plan = planUploads(options.profile, { files: options.files, rows: options.rows, intervalSeconds: options.intervalSeconds, runId });
  const outDir = resolve(options.outDir ?? join(REPOSITORY_ROOT, 'load-test-results', `${options.profile}-${runId}`));
  if (plan.length > MAX_LIST_LIMIT) {
    throw new Error(
      `a load test follows its files through the status API, which lists at most ${MAX_LIST_LIMIT}: use at most ${MAX_LIST_LIMIT} files`,
    );
  }
  if (options.remote && (options.autoscale || options.chunkRows !== undefined || Object.keys(options.functionInstances ?? {}).length > 0)) {
    throw new Error('autoscale, chunk rows and instances per function shape the local stack: they do not apply to a running pipeline');
  }
  return { plan, outDir };
}

/** The run's result: samples, each file's stage times from the run's start, CPU and the scaler's decisions. */
function runResult(
  options: LoadTestOptions,
  target: LoadTarget,
  measured: {
    readonly plan: readonly PlannedUpload[];
    readonly samples: LoadSample[];
    readonly files: Map<string, FileStatus>;
    readonly uploaded: UploadProgress;
    readonly startedAtMs: number;
    readonly cpu: CpuUse | undefined;
  },
): LoadRunResult {
  const { plan, samples, files, uploaded, startedAtMs, cpu } = measured;
  // Stage times are the pipeline's; a running pipeline's clock is brought onto this machine's.
  const offset = target.remote ? target.status.clock.estimate() : undefined;
  const since = (at: string | null | undefined) => (at ? (Date.parse(at) - (offset?.ms ?? 0) - startedAtMs) / 1000 : null);
  return {
    profile: options.profile,
    description: LOAD_PROFILES[options.profile].description,
    settings: runSettings(options, target, offset),
    startedAt: new Date(startedAtMs).toISOString(),
    samples,
    files: plan.map((upload) => fileResult(upload, files.get(upload.blobName), uploaded.uploadedAt.get(upload.blobName) ?? null, since)),
    cpu: cpu && cpu.processes.length > 0 ? cpu : undefined,
    scaling:
      options.autoscale && target.stack?.scaler
        ? {
            mode: options.autoscale.mode,
            summary: summarizeScalerHistory(target.stack.scaler.history.filter((decision) => decision.at >= startedAtMs)),
          }
        : undefined,
  };
}

/** What the run has measured since it started: counters, dead letters and CPU. */
interface RunMeter {
  /** Chunks published and retries since the start; both undefined when per-process figures are left out. */
  counters(): Promise<{ readonly chunksPublished?: number; readonly retries?: number }>;
  /** Dead letters written since the start. */
  deadLetters(): Promise<number>;
  /** CPU seconds of the stack since the start, when it can be read. */
  cpuSeconds(): number | undefined;
  cpu(): CpuUse | undefined;
}

/** Takes the baselines the run's figures are counted from. */
async function startMeter(target: LoadTarget, options: LoadTestOptions): Promise<RunMeter> {
  // Per-process figures need the stack's own processes. The hosts the scaler starts are not in
  // its list, and their counters and CPU go with them when they stop: with autoscaling (or a
  // running pipeline elsewhere) they are left out, not undercounted. Dead letters come from the
  // store, which every host writes to; those from before the run are not counted.
  const processes = options.autoscale === undefined ? target.stack : undefined;
  const baseline = processes && (await countersOf(processes));
  const deadLettersBefore = await target.status.deadLetters();
  const cpuBefore = processes && stackCpuSnapshot(processes);
  const cpu = () => (processes && cpuBefore ? cpuBetween(cpuBefore, stackCpuSnapshot(processes)) : undefined);
  return {
    counters: async () => {
      const counters = processes && (await countersOf(processes));
      return {
        chunksPublished: counters && baseline && counters.etl_chunks_published_total - baseline.etl_chunks_published_total,
        retries: counters && baseline && counters.etl_retry_attempts_total - baseline.etl_retry_attempts_total,
      };
    },
    deadLetters: async () => (await target.status.deadLetters()) - deadLettersBefore,
    cpuSeconds: () => {
      const use = cpu();
      return use && use.processes.length > 0 ? use.totalSeconds : undefined;
    },
    cpu,
  };
}

/** The uploads as they happen: when each finished, the rows so far, the first failure, and all of them settled. */
interface UploadProgress {
  readonly uploadedAt: Map<string, number>;
  uploadedRows: number;
  error: unknown;
  done: Promise<unknown>;
}

/** Starts every upload of the plan at its time; the first that fails stops those still waiting. */
function scheduleUploads(
  plan: readonly PlannedUpload[],
  target: LoadTarget,
  run: { readonly startedAt: number; readonly elapsed: () => number; readonly stop: AbortController; readonly log: (line: string) => void },
): UploadProgress {
  const progress: UploadProgress = { uploadedAt: new Map(), uploadedRows: 0, error: undefined, done: Promise.resolve() };
  const { elapsed, stop, log } = run;
  progress.done = Promise.allSettled(
    plan.map(async (upload: PlannedUpload) => {
      await sleep(upload.atSeconds * 1000 - (performance.now() - run.startedAt), stop.signal);
      if (stop.signal.aborted) return;
      try {
        const generated = generateIotCsv({ rows: upload.rows, seed: upload.seed });
        await uploadCsv(target.blobService, upload.blobName, generated.chunks, target.landingContainer);
      } catch (error) {
        progress.error ??= new Error(`uploading ${upload.blobName} failed: ${(error as Error).message}`, { cause: error });
        stop.abort();
        return;
      }
      progress.uploadedAt.set(upload.blobName, elapsed());
      progress.uploadedRows += upload.rows;
      log(`  ${elapsed().toFixed(1)} s: uploaded ${upload.blobName} (${upload.rows.toLocaleString('en-US')} rows)`);
    }),
  );
  return progress;
}

/** Samples the pipeline every `sampleMs` until every file has settled, an upload failed, or the run timed out. */
async function sampleUntilSettled(
  plan: readonly PlannedUpload[],
  target: LoadTarget,
  uploaded: UploadProgress,
  meter: RunMeter,
  run: { readonly elapsed: () => number; readonly options: LoadTestOptions; readonly log: (line: string) => void },
): Promise<{ samples: LoadSample[]; files: Map<string, FileStatus> }> {
  const { elapsed, options, log } = run;
  const blobNames = new Set(plan.map((upload) => upload.blobName));
  const samples: LoadSample[] = [];
  const deadline = performance.now() + options.timeoutSeconds * 1000;
  let files = new Map<string, FileStatus>();
  // A deployment's dead-letter store is read in full to count it: there, every 10 s and at the end.
  const deadLetterEveryMs = target.remote ? 10_000 : 0;
  let deadLetters = 0;
  let deadLettersReadAt = -Infinity;
  for (;;) {
    const due = performance.now() + options.sampleMs;
    files = await target.status.files(blobNames);
    // Stamped when the row counts were read: a slow metrics scrape must not shift them.
    const atSeconds = elapsed();
    const settled = [...files.values()];
    const finished =
      uploaded.uploadedAt.size === plan.length &&
      files.size === plan.length &&
      settled.every((file) => file.state === 'complete' || file.state === 'failed');
    const timedOut = performance.now() > deadline;
    const last = finished || timedOut || uploaded.error !== undefined;
    const counters = await meter.counters();
    if (last || performance.now() - deadLettersReadAt >= deadLetterEveryMs) {
      deadLetters = await meter.deadLetters();
      deadLettersReadAt = performance.now();
    }
    const decision = target.stack?.scaler?.history.at(-1);
    samples.push({
      atSeconds,
      uploadedRows: uploaded.uploadedRows,
      extractedRows: settled.filter((file) => file.extractedAt !== null).reduce((sum, file) => sum + file.totalRows, 0),
      settledRows: settled.reduce((sum, file) => sum + file.loadedRows + file.duplicateRows, 0),
      filesComplete: settled.filter((file) => file.state === 'complete').length,
      filesFailed: settled.filter((file) => file.state === 'failed').length,
      ...counters,
      deadLetters,
      cpuSeconds: meter.cpuSeconds(),
      ...(decision ? { instances: decision.instances, lag: decision.lag } : {}),
    });
    if (uploaded.error !== undefined || finished) break;
    if (timedOut) {
      log(
        `  timed out after ${options.timeoutSeconds} s: ${settled.filter((file) => file.state === 'complete').length} of ${plan.length} file(s) complete`,
      );
      break;
    }
    await sleep(due - performance.now());
  }
  return { samples, files };
}

/** One file's outcome as the report shows it, its stage times in seconds since the run started. */
function fileResult(
  upload: PlannedUpload,
  status: FileStatus | undefined,
  uploadedAtSeconds: number | null,
  since: (at: string | null | undefined) => number | null,
): LoadFileResult {
  return {
    blobName: upload.blobName,
    plannedAtSeconds: upload.atSeconds,
    uploadedAtSeconds,
    receivedAtSeconds: since(status?.receivedAt),
    extractedAtSeconds: since(status?.extractedAt),
    completedAtSeconds: since(status?.completedAt),
    state: status?.state ?? 'not seen',
    totalRows: status?.totalRows ?? 0,
    validRows: status?.validRows ?? 0,
    rejectedRows: status?.rejectedRows ?? 0,
    loadedRows: status?.loadedRows ?? 0,
    duplicateRows: status?.duplicateRows ?? 0,
    balanced: status?.balanced ?? false,
  };
}

/** The run's settings as the report lists them. */
function runSettings(options: LoadTestOptions, target: LoadTarget, offset: ReturnType<ClockOffset['estimate']>): LoadRunResult['settings'] {
  return {
    files: options.files,
    'rows per file': options.profile === 'ramp' ? `up to ${options.rows}` : options.rows,
    'seconds between uploads': options.profile === 'burst' ? 'none (all at once)' : options.intervalSeconds,
    ...target.settings,
    ...(target.remote
      ? {
          "pipeline's clock": offset
            ? `${offset.ms >= 0 ? '+' : '-'}${(Math.abs(offset.ms) / 1000).toFixed(2)} s from this machine's (±${(offset.withinMs / 1000).toFixed(2)} s, from HTTP Date headers), taken out of the stage times`
            : 'no Date header: stage times are as the pipeline stamped them',
        }
      : {}),
    'sample interval (ms)': options.sampleMs,
  };
}

async function main(): Promise<void> {
  const outcome = await runLoadTest(loadTestOptionsFromArgs());
  const { summary } = outcome;
  console.log(
    `${summary.filesComplete} of ${summary.files} file(s) complete in ${summary.seconds.toFixed(1)} s: ${Math.round(summary.rowsPerSecond).toLocaleString('en-US')} rows/s over the run, ` +
      `peak ${Math.round(summary.peakSettledRowsPerSecond).toLocaleString('en-US')} rows/s; every row accounted for: ${summary.allBalanced ? 'yes' : 'NO'}`,
  );
  console.log(`Report: ${relative(process.cwd(), outcome.reportPath)} (charts and CSV beside it)`);
  if (!outcome.ok) process.exitCode = 1;
}

/** The command line `npm run load-test` reads. */
const LOAD_TEST_ARGS = {
  profile: { type: 'string', default: 'burst' },
  files: { type: 'string', default: '4' },
  rows: { type: 'string', default: '100000' },
  interval: { type: 'string', default: '5' },
  placement: { type: 'string' },
  autoscale: { type: 'string' },
  'max-instances': { type: 'string' },
  'scale-poll-ms': { type: 'string' },
  'hold-ms': { type: 'string' },
  'chunk-rows': { type: 'string' },
  instances: { type: 'string' },
  partitions: { type: 'string' },
  storage: { type: 'string' },
  'status-url': { type: 'string' },
  'landing-container': { type: 'string' },
  'sample-ms': { type: 'string', default: '500' },
  out: { type: 'string' },
  'timeout-minutes': { type: 'string', default: '30' },
  verbose: { type: 'boolean', default: false },
} as const satisfies ParseArgsConfig['options'];

function loadTestOptionsFromArgs(): LoadTestOptions {
  const { values } = parseArgs({ options: LOAD_TEST_ARGS });
  const profile = oneOf('profile', LOAD_PROFILE_NAMES, values.profile);
  const remote = remoteFromArgs(values);
  const mode = values.autoscale === undefined ? undefined : oneOf('autoscale', SCALING_MODES, values.autoscale);
  // The scaler starts and stops whole host processes, so autoscaling runs every function in each
  // (startLocalStack refuses per-function placement with autoscaling).
  const placement = oneOf('placement', FUNCTION_PLACEMENTS, values.placement ?? (mode ? 'shared' : 'per-function'));
  const instances = parseInstances(values.instances ?? '1');
  const positive = (name: string, text: string) => {
    const value = Number(text);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number, got '${text}'`);
    return value;
  };
  return {
    profile,
    files: positive('files', values.files),
    rows: positive('rows', values.rows),
    intervalSeconds: Number(values.interval),
    placement,
    instances: instances.each,
    functionInstances: instances.perFunction,
    partitions: positive('partitions', values.partitions ?? '4'),
    sampleMs: positive('sample-ms', values['sample-ms']),
    outDir: values.out,
    timeoutSeconds: positive('timeout-minutes', values['timeout-minutes']) * 60,
    chunkRows: values['chunk-rows'] === undefined ? undefined : positive('chunk-rows', values['chunk-rows']),
    autoscale:
      mode === undefined
        ? undefined
        : {
            mode,
            maxInstances: positive('max-instances', values['max-instances'] ?? '4'),
            pollMs: positive('scale-poll-ms', values['scale-poll-ms'] ?? '1000'),
            holdMs: positive('hold-ms', values['hold-ms'] ?? '30000'),
          },
    remote,
    stackLog: values.verbose ? (line) => console.error(line) : undefined,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().then(
    // Like `npm start` and `scale:compare`: the stack is closed, but the runtime's pools and SDK
    // timers do not all let go of the event loop (with autoscaling, the run would never exit).
    () => process.exit(process.exitCode ?? 0),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
