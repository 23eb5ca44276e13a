/**
 * One fault-injection scenario from start to finish: `npm start` on a fresh state folder, a generated
 * load uploaded, the fault injected at its moment, the wait until every file is settled and the
 * aggregates caught up, then the invariants. The result is one row of the harness's table.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LANDING_VISIBILITY_SECONDS } from '../local/cli/stack-hosts.js';
import { uploadGeneratedIotCsv } from '../local/cli/upload-file.js';
import { iotEventsDataset } from '../shared/datasets/iot-events.js';
import type { EtlRuntime } from '../shared/runtime/etl-runtime.js';
import type { FileManifest } from '../shared/ports/file-manifest.js';
import { checkInvariants, type UploadedFile } from './invariants.js';
import { StackUnderTest } from './stack-under-test.js';

export interface ChaosContext {
  readonly stack: StackUnderTest;
  /** The app settings npm start was started with (for a restart). */
  readonly settings?: Readonly<Record<string, string>>;
  readonly runtime: () => Promise<EtlRuntime>;
  readonly uploaded: readonly UploadedFile[];
  readonly log: (line: string) => void;
  /** Notes for the table (what the fault did, what a user had to do). */
  note(text: string): void;
  /** Runs when the scenario ends, whatever happened (extra processes, mounts). */
  onCleanup(cleanup: () => Promise<void>): void;
}

export interface Scenario {
  readonly name: string;
  /** The fault, in a few words, for the table. */
  readonly fault: string;
  /** `npm start` arguments (e.g. the per-function placement). */
  readonly args?: readonly string[];
  /** Prepares the state folder before npm start (e.g. a small filesystem for the emulator); throw `SkipScenario` when it cannot run here. */
  prepare?(stateDir: string, context: Pick<ChaosContext, 'note' | 'onCleanup'>): Promise<void>;
  /** Runs once npm start is up, before the load is uploaded (e.g. extra host instances). */
  beforeLoad?(context: ChaosContext): Promise<void>;
  /** Injects the fault once the load is under way; resolves with the time (ms) the fault was over. */
  inject(context: ChaosContext): Promise<number>;
  /** After the fault: what a user would do next, if anything (e.g. replay dead letters). */
  afterFault?(context: ChaosContext): Promise<void>;
  /** Dead letters the fault must leave, each with its reason (default none). */
  readonly expectedDeadLetters?: number;
  /**
   * The fault may hand a landing message out again while its extract still runs (Azurite, killed,
   * forgets a renewal). Otherwise a second extract of a file is a violation: the renewal failed.
   */
  readonly landingMayReturn?: boolean;
}

/** Thrown by a scenario that cannot run on this machine (it says why); its row says "skipped". */
export class SkipScenario extends Error {}

/** The moment a fault waits for has passed for good; `waitUntil` rethrows it instead of polling on. */
export class MomentMissed extends Error {}

export interface ScenarioResult {
  readonly name: string;
  readonly fault: string;
  readonly rows: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly deadLetters: number;
  /** From the end of the fault (the process running again, the lock released) to every file complete. */
  readonly completeSeconds: number | undefined;
  /** From the end of the fault to the aggregates holding every fact as well. */
  readonly recoverSeconds: number | undefined;
  /** From the upload to everything settled. */
  readonly totalSeconds: number | undefined;
  readonly violations: readonly string[];
  readonly notes: readonly string[];
}

export interface RunOptions {
  readonly rows: number;
  /** Files the load is split into (default 1). */
  readonly files?: number;
  readonly seed?: number;
  /** App settings npm start runs with (e.g. a smaller chunk size), passed as it reads them: in its environment. */
  readonly settings?: Readonly<Record<string, string>>;
  /** Bound on the wait for the pipeline to settle after the fault (default 15 min). */
  readonly settleTimeoutMs?: number;
  readonly log?: (line: string) => void;
}

export async function runScenario(scenario: Scenario, options: RunOptions): Promise<ScenarioResult> {
  const log = options.log ?? (() => {});
  const stateDir = await mkdtemp(join(tmpdir(), `etl-chaos-${scenario.name}-`));
  const stack = new StackUnderTest(stateDir);
  const notes: string[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  const uploaded: UploadedFile[] = [];
  const context: ChaosContext = {
    stack,
    settings: options.settings,
    runtime: () => stack.runtime(),
    uploaded,
    log,
    note: (text) => notes.push(text),
    onCleanup: (cleanup) => cleanups.push(cleanup),
  };
  const fail = (error: unknown, extra: Partial<ScenarioResult> = {}): ScenarioResult => ({
    name: scenario.name,
    fault: scenario.fault,
    rows: options.rows,
    lost: Number.NaN,
    duplicated: Number.NaN,
    deadLetters: Number.NaN,
    completeSeconds: undefined,
    recoverSeconds: undefined,
    totalSeconds: undefined,
    violations: [`the run failed: ${(error as Error).message}`],
    notes,
    ...extra,
  });
  try {
    await scenario.prepare?.(stateDir, context);
    await stack.start({ args: scenario.args, env: options.settings, log: (line) => log(`  | ${line}`) });
    await scenario.beforeLoad?.(context);
    const landing = stack.settings.ETL_LANDING_CONTAINER ?? 'landing';
    const startedAt = Date.now();
    const files = options.files ?? 1;
    for (let index = 0; index < files; index += 1) {
      const blobName = `iot_events/chaos-${scenario.name}-${index + 1}.csv`;
      const rows = Math.floor(options.rows / files) + (index < options.rows % files ? 1 : 0);
      const expected = await uploadGeneratedIotCsv(
        stack.blobService(),
        blobName,
        { rows, seed: (options.seed ?? 1) * 100 + index, duplicateRate: 0.01, badRowRate: 0.005, spreadMinutes: 24 * 60 },
        landing,
      );
      uploaded.push({ blobName, expected });
    }
    log(`${scenario.name}: ${options.rows} rows uploaded in ${files} file(s)`);
    const faultOverAt = await scenario.inject(context);
    log(`${scenario.name}: fault over after ${((faultOverAt - startedAt) / 1000).toFixed(1)} s`);
    await scenario.afterFault?.(context);
    const { completeAt, settledAt } = await waitSettled(context, options.settleTimeoutMs ?? 15 * 60_000);
    const report = await checkInvariants(await stack.runtime(), iotEventsDataset, uploaded);
    const letters = report.deadLetters;
    const violations = [...report.violations, ...(await checkLandingDeliveries(context, scenario))];
    if (letters !== (scenario.expectedDeadLetters ?? 0))
      violations.push(`${letters} dead letters, the fault should leave ${scenario.expectedDeadLetters ?? 0}`);
    return {
      name: scenario.name,
      fault: scenario.fault,
      rows: report.rows,
      lost: report.lost,
      duplicated: report.duplicated,
      deadLetters: letters,
      completeSeconds: completeAt === undefined ? undefined : Math.max(0, (completeAt - faultOverAt) / 1000),
      recoverSeconds: settledAt === undefined ? undefined : Math.max(0, (settledAt - faultOverAt) / 1000),
      totalSeconds: settledAt === undefined ? undefined : (settledAt - startedAt) / 1000,
      violations: settledAt === undefined ? ['did not settle within the bound', ...violations] : violations,
      notes,
    };
  } catch (error) {
    if (error instanceof SkipScenario) return { ...fail(error), violations: [], notes: [...notes, `skipped: ${error.message}`] };
    // What can still be counted is counted, so a failed run still says what it lost.
    const report = await stack
      .runtime()
      .then((runtime) => checkInvariants(runtime, iotEventsDataset, uploaded))
      .catch(() => undefined);
    return fail(
      error,
      report
        ? {
            lost: report.lost,
            duplicated: report.duplicated,
            deadLetters: report.deadLetters,
            violations: [`the run failed: ${(error as Error).message}`, ...report.violations],
          }
        : {},
    );
  } finally {
    const code = await stack.stop().catch(() => null);
    if (code !== 0 && code !== null) notes.push(`npm start exited with code ${code}`);
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => log(`cleanup: ${(error as Error).message}`));
    await rm(stateDir, { recursive: true, force: true }).catch(() => undefined);
  }
}

/**
 * When every uploaded file was complete (or failed), and when the window rows also held every fact
 * (the aggregates hop trails the facts); undefined for what did not happen within the bound.
 */
async function waitSettled(context: ChaosContext, timeoutMs: number): Promise<{ completeAt?: number; settledAt?: number }> {
  const deadline = Date.now() + timeoutMs;
  let completeAt: number | undefined;
  while (Date.now() < deadline) {
    const state = await settlement(context).catch(() => 'running' as const);
    if (state !== 'running') completeAt ??= Date.now();
    if (state === 'settled') return { completeAt, settledAt: Date.now() };
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return { completeAt };
}

async function settlement(context: ChaosContext): Promise<'running' | 'complete' | 'settled'> {
  const runtime = await context.runtime();
  const files = await ourFiles(context);
  if (files.length < context.uploaded.length || files.some((file) => file.state !== 'complete' && file.state !== 'failed'))
    return 'running';
  const facts = await runtime.store.query.countFacts(iotEventsDataset);
  const windows = await runtime.store.windows.listWindows(iotEventsDataset, { limit: 10_000_000 });
  return windows.reduce((sum, window) => sum + window.count, 0) === facts ? 'settled' : 'complete';
}

/**
 * Each file's landing message taken once: extract logs one line per file it runs to the end (or
 * skips as already extracted), so two such lines mean the message was handed out again while its
 * extract ran. The note says how long extract took against the processing visibility it renews.
 */
async function checkLandingDeliveries(context: ChaosContext, scenario: Scenario): Promise<string[]> {
  const violations: string[] = [];
  const files = await ourFiles(context);
  for (const { blobName } of context.uploaded) {
    const runs = context.stack.output.filter((line) => line.includes(`extract: ${blobName} (file `)).length;
    const manifest = files.find((file) => file.blobName === blobName);
    const took = manifest?.extractedAt ? (Date.parse(manifest.extractedAt) - Date.parse(manifest.receivedAt)) / 1000 : undefined;
    context.note(
      `${blobName}: extract ran ${runs} time(s)${took === undefined ? '' : `, ${took.toFixed(0)} s from first take to done (landing visibility ${LANDING_VISIBILITY_SECONDS} s, renewed at half-time)`}`,
    );
    if (runs > 1 && !scenario.landingMayReturn)
      violations.push(`${blobName}: its landing message was handed out again while extract ran (${runs} extract runs)`);
  }
  return violations;
}

/** The manifests of the scenario's uploads (one each, once extract has seen them). */
export async function ourFiles(context: Pick<ChaosContext, 'runtime' | 'uploaded'>): Promise<FileManifest[]> {
  const runtime = await context.runtime();
  const names = new Set(context.uploaded.map((file) => file.blobName));
  return (await runtime.store.manifest.listFiles({ limit: 10_000 })).filter((file) => names.has(file.blobName));
}

/** Polls `probe` until it returns something other than undefined/false; throws after the bound. */
export async function waitUntil<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 300_000,
  intervalMs = 100,
): Promise<T> {
  const value = await pollFor(probe, timeoutMs, intervalMs);
  if (value === undefined) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
  return value;
}

/** Polls `probe` until it returns something other than undefined/false; undefined after the bound. */
export async function pollFor<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs: number,
  intervalMs = 100,
): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // Reads fail for a moment while a fault is on (a killed Azurite); a missed moment never comes back.
    const value = await Promise.resolve(probe()).catch((error: unknown) => {
      if (error instanceof MomentMissed) throw error;
      return undefined;
    });
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) return undefined;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
