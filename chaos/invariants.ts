/**
 * The pipeline's invariants, checked after a run against what the generator says the files hold:
 * every row accounted for (total = valid + rejected; valid = loaded + duplicate once complete), each
 * key loaded once (facts = the distinct keys, per file as the manifest says), windows equal to a
 * GROUP BY over the facts, sketch quantiles within their error bound, every rejected row and every
 * dead letter with its reason. `lost` and `duplicated` count rows against the truth.
 */
import type { DatasetDeclaration } from '../shared/datasets/dataset-declaration.js';
import { windowQuantile } from '../shared/aggregates/window-aggregate.js';
import { rejectedBlobName } from '../shared/adapters/blob-rejected-row-sink.js';
import type { EtlRuntime } from '../shared/runtime/etl-runtime.js';
import type { FileManifest } from '../shared/ports/file-manifest.js';
import type { IotCsvExpectation } from '../local/sample-data/iot-csv-generator.js';

export interface UploadedFile {
  readonly blobName: string;
  readonly expected: IotCsvExpectation;
}

export interface InvariantReport {
  /** Data rows uploaded. */
  readonly rows: number;
  /** Valid rows with a key the facts do not hold, and rows no manifest accounts for. */
  readonly lost: number;
  /** Rows counted more than once: facts beyond the distinct keys, window counts beyond the facts. */
  readonly duplicated: number;
  readonly deadLetters: number;
  /** Every invariant that does not hold, in words; empty when all hold. */
  readonly violations: readonly string[];
}

/** How many of the largest windows have their sketch quantile checked against the exact one. */
const QUANTILE_WINDOWS = 10;

export async function checkInvariants(
  runtime: EtlRuntime,
  dataset: DatasetDeclaration,
  uploaded: readonly UploadedFile[],
): Promise<InvariantReport> {
  const violations: string[] = [];
  const files = await runtime.store.manifest.listFiles({ limit: 10_000 });
  const rows = uploaded.reduce((sum, file) => sum + file.expected.rows, 0);
  const distinctKeys = uploaded.reduce((sum, file) => sum + file.expected.distinctKeys, 0);
  let unaccounted = 0;
  for (const upload of uploaded) {
    const found = files.filter((file) => file.blobName === upload.blobName);
    if (found.length !== 1) {
      violations.push(`${upload.blobName}: ${found.length} manifests`);
      if (found.length === 0) unaccounted += upload.expected.rows;
      continue;
    }
    violations.push(...(await checkFile(runtime, dataset, found[0]!, upload.expected)));
  }
  const facts = await runtime.store.query.countFacts(dataset);
  const windows = await runtime.store.windows.listWindows(dataset, { limit: 10_000_000 });
  const windowRows = windows.reduce((sum, window) => sum + window.count, 0);
  if (facts !== distinctKeys) violations.push(`facts ${facts}, distinct valid keys ${distinctKeys}`);
  if (windowRows !== facts) violations.push(`window counts add up to ${windowRows}, facts ${facts}`);
  violations.push(...(await checkWindows(runtime, dataset, windows)));
  const letters = await runtime.deadLetters.list({ limit: 10_000 });
  for (const letter of letters) if (!letter.error || letter.error.trim() === '') violations.push(`dead letter ${letter.id} has no reason`);
  return {
    rows,
    lost: Math.max(0, distinctKeys - facts) + unaccounted,
    duplicated: Math.max(0, facts - distinctKeys) + Math.max(0, windowRows - facts),
    deadLetters: letters.length,
    violations,
  };
}

async function checkFile(
  runtime: EtlRuntime,
  dataset: DatasetDeclaration,
  file: FileManifest,
  expected: IotCsvExpectation,
): Promise<string[]> {
  const problems: string[] = [];
  const name = file.blobName;
  if (file.state !== 'complete') problems.push(`${name}: ${file.state}${file.error ? ` (${file.error})` : ''}`);
  if (file.totalRows !== expected.rows) problems.push(`${name}: total ${file.totalRows}, generated ${expected.rows}`);
  if (file.totalRows !== file.validRows + file.rejectedRows)
    problems.push(`${name}: total ${file.totalRows} ≠ valid ${file.validRows} + rejected ${file.rejectedRows}`);
  if (file.rejectedRows !== expected.badRows)
    problems.push(`${name}: rejected ${file.rejectedRows}, generated bad rows ${expected.badRows}`);
  if (file.state === 'complete' && file.validRows !== file.loadedRows + file.duplicateRows) {
    problems.push(`${name}: valid ${file.validRows} ≠ loaded ${file.loadedRows} + duplicate ${file.duplicateRows}`);
  }
  const facts = await runtime.store.query.countFacts(dataset, { fileId: file.fileId });
  if (facts !== file.loadedRows) problems.push(`${name}: ${facts} facts carry its id, the manifest says ${file.loadedRows} loaded`);
  if (file.rejectedRows > 0) {
    const blob = runtime.blobService
      .getContainerClient(runtime.config.containers.rejected)
      .getBlockBlobClient(rejectedBlobName(file.dataset, file.fileId));
    const text = (await blob.downloadToBuffer().catch(() => Buffer.alloc(0))).toString('utf8');
    const lines = text.split('\n').filter((line) => line.length > 0);
    const withReason = lines.filter((line) => ((JSON.parse(line) as { reason?: string }).reason ?? '').length > 0).length;
    if (lines.length !== file.rejectedRows || withReason !== lines.length) {
      problems.push(`${name}: ${lines.length} rejected rows written (${withReason} with a reason), the manifest says ${file.rejectedRows}`);
    }
  }
  return problems;
}

/** Each window equal to the GROUP BY over the facts; the largest ones' p95 within the sketch's bound. */
async function checkWindows(
  runtime: EtlRuntime,
  dataset: DatasetDeclaration,
  windows: Awaited<ReturnType<EtlRuntime['store']['windows']['listWindows']>>,
): Promise<string[]> {
  const problems: string[] = [];
  const exact = new Map((await runtime.store.query.groupByWindow(dataset)).map((row) => [`${row.windowStart}|${row.dimensionKey}`, row]));
  if (exact.size !== windows.length) problems.push(`${windows.length} window rows, GROUP BY gives ${exact.size}`);
  for (const window of windows) {
    const truth = exact.get(`${window.windowStart}|${window.dimensionKey}`);
    const label = `window ${window.windowStart} ${window.dimensionKey}`;
    if (truth === undefined) {
      problems.push(`${label}: not in the GROUP BY`);
      continue;
    }
    if (window.count !== truth.count) problems.push(`${label}: count ${window.count}, GROUP BY ${truth.count}`);
    for (const measure of dataset.measures) {
      const ours = window.measures[measure];
      const theirs = truth.measures[measure];
      if (!ours || !theirs) continue;
      const close = Math.abs(ours.sum - theirs.sum) <= 1e-6 * Math.max(1, Math.abs(theirs.sum));
      if (!close || ours.min !== theirs.min || ours.max !== theirs.max) problems.push(`${label}: ${measure} differs from the GROUP BY`);
    }
  }
  const largest = [...windows].sort((a, b) => b.count - a.count).slice(0, QUANTILE_WINDOWS);
  for (const window of largest) {
    for (const measure of Object.keys(window.sketches)) {
      const values = (
        await runtime.store.query.measureValues(dataset, measure, { windowStart: window.windowStart, dimensionKey: window.dimensionKey })
      ).sort((a, b) => a - b);
      if (values.length === 0) continue;
      const rank = 0.95 * (values.length - 1);
      const [low, high] = [values[Math.floor(rank)]!, values[Math.ceil(rank)]!];
      const alpha = window.sketches[measure]!.alpha;
      const estimate = windowQuantile(window, measure, 0.95);
      if (estimate < low * (1 - alpha) - 1e-9 || estimate > high * (1 + alpha) + 1e-9) {
        problems.push(
          `window ${window.windowStart} ${window.dimensionKey}: p95 of ${measure} ${estimate} outside [${low}, ${high}] ± ${alpha}`,
        );
      }
    }
  }
  return problems;
}
