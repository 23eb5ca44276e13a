/**
 * The deploy's smoke test: one generated 10,000-row file uploaded to the deployment's landing
 * container and followed on its status API until it is complete with every row accounted for.
 * It is the load test's run against a pipeline that is already running (`load-tests/`,
 * `--status-url`): the same upload, status client, clock correction and report.
 */
import { join } from 'node:path';
import type { LoadTestOptions, LoadTestOutcome } from '../../load-tests/run-load-test.js';

export const SMOKE_TEST_ROWS = 10_000;

export interface SmokeTestTarget {
  /** Blob endpoint of the storage account (uploads with the Azure CLI's identity). */
  readonly blobEndpoint: string;
  /** Base URL of the status API, ending in `/api`. */
  readonly statusUrl: string;
  readonly functionKey?: string;
}

export type RunLoadTest = (options: LoadTestOptions) => Promise<LoadTestOutcome>;

export interface SmokeTestOptions {
  readonly workDir: string;
  readonly timeoutSeconds: number;
  readonly log: (line: string) => void;
  /** The load test's runner (tests hand in their own). */
  readonly runLoadTest?: RunLoadTest;
}

export class SmokeTestFailedError extends Error {
  constructor(
    message: string,
    readonly outcome: LoadTestOutcome,
  ) {
    super(message);
    this.name = 'SmokeTestFailedError';
  }
}

export async function runSmokeTest(target: SmokeTestTarget, options: SmokeTestOptions): Promise<LoadTestOutcome> {
  const runLoadTest = options.runLoadTest ?? (await import('../../load-tests/run-load-test.js')).runLoadTest;
  const outcome = await runLoadTest({
    profile: 'burst',
    files: 1,
    rows: SMOKE_TEST_ROWS,
    intervalSeconds: 0,
    // Placement, instances and partitions shape only a local stack; a running pipeline ignores them.
    placement: 'shared',
    instances: 1,
    partitions: 1,
    sampleMs: 2000,
    timeoutSeconds: options.timeoutSeconds,
    outDir: join(options.workDir, `smoke-test-${new Date().toISOString().replace(/[:.]/g, '-')}`),
    remote: { storage: target.blobEndpoint, statusUrl: target.statusUrl, functionKey: target.functionKey },
    log: (line) => options.log(`  ${line}`),
  });
  for (const line of stageLines(outcome)) options.log(`  ${line}`);
  if (!outcome.ok) {
    const file = outcome.run.files[0];
    const why =
      file === undefined || file.state !== 'complete'
        ? `the file did not complete within ${Math.round(options.timeoutSeconds / 60)} min (state: ${file?.state ?? 'not seen'})`
        : 'the file completed but its rows do not add up';
    throw new SmokeTestFailedError(`smoke test failed: ${why}; report: ${outcome.reportPath}`, outcome);
  }
  return outcome;
}

/** Each stage's time for the file, from its upload: what a first-time user wants to see. */
export function stageLines(outcome: LoadTestOutcome): string[] {
  const file = outcome.run.files[0];
  if (file === undefined) return ['no file was uploaded'];
  const at = (seconds: number | null) => (seconds === null ? 'not reached' : `${seconds.toFixed(1)} s`);
  const since = (seconds: number | null, from: number | null) =>
    seconds === null || from === null ? '' : ` (+${(seconds - from).toFixed(1)} s)`;
  return [
    `${file.blobName}: ${file.totalRows.toLocaleString('en-US')} rows, ${file.validRows.toLocaleString('en-US')} valid, ${file.rejectedRows.toLocaleString('en-US')} rejected, ` +
      `${file.loadedRows.toLocaleString('en-US')} loaded, ${file.duplicateRows.toLocaleString('en-US')} duplicates; every row accounted for: ${file.balanced ? 'yes' : 'NO'}`,
    `  uploaded      ${at(file.uploadedAtSeconds)}`,
    `  received      ${at(file.receivedAtSeconds)}${since(file.receivedAtSeconds, file.uploadedAtSeconds)}`,
    `  extracted     ${at(file.extractedAtSeconds)}${since(file.extractedAtSeconds, file.receivedAtSeconds)}`,
    `  complete      ${at(file.completedAtSeconds)}${since(file.completedAtSeconds, file.extractedAtSeconds)}`,
    `report: ${outcome.reportPath}`,
  ];
}

/** Waits until `/api/health` answers 200: a new deployment cold-starts, and a paused database wakes up. */
export async function waitForHealth(statusUrl: string, timeoutMs: number, log: (line: string) => void): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  let said = false;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${statusUrl}/health`, { signal: AbortSignal.timeout(30_000) });
      if (response.ok) return;
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    if (!said) {
      log(`  waiting for ${statusUrl}/health (a new app starts cold; a paused database wakes up): ${last}`);
      said = true;
    }
    await new Promise((resolve) => setTimeout(resolve, 10_000));
  }
  throw new Error(`${statusUrl}/health did not answer 200 within ${Math.round(timeoutMs / 60_000)} min (last: ${last})`);
}
