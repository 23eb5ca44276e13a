/**
 * The report of one load-test run: what was sampled and what each file went through, written as
 * CSV (for a spreadsheet), two SVG charts (throughput, and progress against uploads) and a Markdown
 * summary that shows them. Pure functions, plus `writeLoadReport` to put them in a folder.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CpuUse } from './process-cpu.js';
import type { ScalerHistorySummary } from '../local/scaler/scaler-history.js';
import { csvLine } from '../shared/csv/csv-line.js';
import { lineChartSvg } from './line-chart-svg.js';

/** What the collector saw at one moment of the run. Row counts cover this run's files only. */
export interface LoadSample {
  /** Seconds since the run started. */
  readonly atSeconds: number;
  /** Rows of the files uploaded so far (upload finished). */
  readonly uploadedRows: number;
  /** Rows of the files extract has finished (total, bad rows included). */
  readonly extractedRows: number;
  /** Valid rows transform has settled: loaded as new facts or counted as duplicates. */
  readonly settledRows: number;
  readonly filesComplete: number;
  readonly filesFailed: number;
  /**
   * Chunk events extract published and retried attempts, summed over the hosts' `/api/metrics`;
   * left out with autoscaling (the scaler's hosts are not listed, and their counters stop with them).
   */
  readonly chunksPublished?: number;
  readonly retries?: number;
  /** Dead letters in the store. */
  readonly deadLetters: number;
  /** CPU seconds of the whole stack since the start, when it could be read. */
  readonly cpuSeconds?: number;
  /** With autoscaling: the scaler's last decision so far (host instances running, and the lag it saw). */
  readonly instances?: number;
  readonly lag?: number;
}

/** One file of the run, from its upload to its manifest's last state. Times in seconds since the start. */
export interface LoadFileResult {
  readonly blobName: string;
  readonly plannedAtSeconds: number;
  /** Null when the run ended (timed out) before the upload. */
  readonly uploadedAtSeconds: number | null;
  readonly receivedAtSeconds: number | null;
  readonly extractedAtSeconds: number | null;
  readonly completedAtSeconds: number | null;
  readonly state: string;
  readonly totalRows: number;
  readonly validRows: number;
  readonly rejectedRows: number;
  readonly loadedRows: number;
  readonly duplicateRows: number;
  /** total = valid + rejected, and, once complete, valid = loaded + duplicate. */
  readonly balanced: boolean;
}

export interface LoadRunResult {
  readonly profile: string;
  readonly description: string;
  /** The options and layout the run used, as `name: value` lines for the report. */
  readonly settings: Readonly<Record<string, string | number>>;
  /** Wall-clock time the run started (ISO). */
  readonly startedAt: string;
  readonly samples: readonly LoadSample[];
  readonly files: readonly LoadFileResult[];
  /** CPU per process over the run, when it could be read. */
  readonly cpu?: CpuUse;
  /** With autoscaling: the mode and what the scaler's history says about the run. */
  readonly scaling?: { readonly mode: string; readonly summary: ScalerHistorySummary };
}

export interface LoadSummary {
  readonly files: number;
  readonly filesComplete: number;
  readonly totalRows: number;
  readonly validRows: number;
  readonly rejectedRows: number;
  readonly loadedRows: number;
  readonly duplicateRows: number;
  /** First upload started → last file complete (or the last sample, if some never completed). */
  readonly seconds: number;
  /** All rows of the run over `seconds`. */
  readonly rowsPerSecond: number;
  /**
   * The highest settled-rows rate over `RATE_WINDOW_SECONDS`, once that much of the run is sampled;
   * for a shorter run, its rate from the first sample to the last.
   */
  readonly peakSettledRowsPerSecond: number;
  /** Upload finished → facts complete, over the completed files. */
  readonly latencyMedianSeconds: number | null;
  readonly latencyMaxSeconds: number | null;
  /** Undefined when not counted: only the hosts of a local stack the run started, without autoscaling, are read. */
  readonly retries: number | undefined;
  readonly deadLetters: number;
  readonly allBalanced: boolean;
}

/**
 * Rates the charts and the peak use: seconds over which a rate is taken. The counts move in steps
 * (a manifest is updated once per SQL transaction, up to 100,000 rows; extract counts a file when
 * it is done), so a rate between two close samples says little.
 */
export const RATE_WINDOW_SECONDS = 2;

/**
 * Settled (transform) and extracted rows per second at each sample, over the `windowSeconds`
 * before it (from the latest sample at least that far back; from the first sample early on).
 */
export function sampleRates(
  samples: readonly LoadSample[],
  windowSeconds = RATE_WINDOW_SECONDS,
): { atSeconds: number; settled: number; extracted: number }[] {
  const rates = [];
  let from = 0;
  for (let index = 1; index < samples.length; index += 1) {
    const after = samples[index]!;
    while (from + 1 < index && after.atSeconds - samples[from + 1]!.atSeconds >= windowSeconds) from += 1;
    const before = samples[from]!;
    const seconds = after.atSeconds - before.atSeconds;
    if (seconds <= 0) continue;
    rates.push({
      atSeconds: after.atSeconds,
      settled: (after.settledRows - before.settledRows) / seconds,
      extracted: (after.extractedRows - before.extractedRows) / seconds,
    });
  }
  return rates;
}

function peakSettledRate(samples: readonly LoadSample[]): number {
  const rates = sampleRates(samples);
  const full = rates.filter((rate) => rate.atSeconds - samples[0]!.atSeconds >= RATE_WINDOW_SECONDS);
  if (full.length > 0) return Math.max(0, ...full.map((rate) => rate.settled));
  // Shorter than one window: every rate was taken from the first sample, the last one over the whole run.
  return Math.max(0, rates.at(-1)?.settled ?? 0);
}

function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function summarize(run: LoadRunResult): LoadSummary {
  const sum = (field: 'totalRows' | 'validRows' | 'rejectedRows' | 'loadedRows' | 'duplicateRows') =>
    run.files.reduce((total, file) => total + file[field], 0);
  const completed = run.files.filter((file) => file.completedAtSeconds !== null);
  const start = Math.min(...run.files.map((file) => file.plannedAtSeconds));
  const end =
    completed.length === run.files.length && completed.length > 0
      ? Math.max(...completed.map((file) => file.completedAtSeconds!))
      : (run.samples.at(-1)?.atSeconds ?? 0);
  const seconds = Math.max(end - start, 1e-9);
  const latencies = completed
    .filter((file) => file.uploadedAtSeconds !== null)
    .map((file) => file.completedAtSeconds! - file.uploadedAtSeconds!);
  const last = run.samples.at(-1);
  return {
    files: run.files.length,
    filesComplete: run.files.filter((file) => file.state === 'complete').length,
    totalRows: sum('totalRows'),
    validRows: sum('validRows'),
    rejectedRows: sum('rejectedRows'),
    loadedRows: sum('loadedRows'),
    duplicateRows: sum('duplicateRows'),
    seconds,
    rowsPerSecond: sum('totalRows') / seconds,
    peakSettledRowsPerSecond: peakSettledRate(run.samples),
    latencyMedianSeconds: median(latencies),
    latencyMaxSeconds: latencies.length > 0 ? Math.max(...latencies) : null,
    retries: last === undefined ? 0 : last.retries,
    deadLetters: last?.deadLetters ?? 0,
    allBalanced: run.files.every((file) => file.balanced),
  };
}

function csv(header: readonly string[], rows: readonly (readonly (string | number | null | undefined)[])[]): string {
  return [header, ...rows].map(csvLine).join('\n') + '\n';
}

export function samplesCsv(samples: readonly LoadSample[]): string {
  return csv(
    [
      'at_seconds',
      'uploaded_rows',
      'extracted_rows',
      'settled_rows',
      'files_complete',
      'files_failed',
      'chunks_published',
      'retries',
      'dead_letters',
      'cpu_seconds',
      'instances',
      'lag_events',
    ],
    samples.map((sample) => [
      sample.atSeconds.toFixed(3),
      sample.uploadedRows,
      sample.extractedRows,
      sample.settledRows,
      sample.filesComplete,
      sample.filesFailed,
      sample.chunksPublished,
      sample.retries,
      sample.deadLetters,
      sample.cpuSeconds?.toFixed(2),
      sample.instances,
      sample.lag,
    ]),
  );
}

const seconds3 = (value: number | null) => (value === null ? null : value.toFixed(3));

export function filesCsv(files: readonly LoadFileResult[]): string {
  return csv(
    [
      'blob_name',
      'planned_at_s',
      'uploaded_at_s',
      'received_at_s',
      'extracted_at_s',
      'completed_at_s',
      'latency_s',
      'state',
      'total_rows',
      'valid_rows',
      'rejected_rows',
      'loaded_rows',
      'duplicate_rows',
      'balanced',
    ],
    files.map((file) => [
      file.blobName,
      seconds3(file.plannedAtSeconds),
      seconds3(file.uploadedAtSeconds),
      seconds3(file.receivedAtSeconds),
      seconds3(file.extractedAtSeconds),
      seconds3(file.completedAtSeconds),
      seconds3(
        file.completedAtSeconds === null || file.uploadedAtSeconds === null ? null : file.completedAtSeconds - file.uploadedAtSeconds,
      ),
      file.state,
      file.totalRows,
      file.validRows,
      file.rejectedRows,
      file.loadedRows,
      file.duplicateRows,
      file.balanced ? 'yes' : 'no',
    ]),
  );
}

const uploadMarkers = (files: readonly LoadFileResult[]) =>
  files.flatMap((file) => (file.uploadedAtSeconds === null ? [] : [{ x: file.uploadedAtSeconds, label: `${file.blobName} uploaded` }]));

export function throughputSvg(run: LoadRunResult): string {
  const rates = sampleRates(run.samples);
  return lineChartSvg({
    title: `Throughput — ${run.profile}`,
    xLabel: 'seconds since the start (dashed: a file uploaded)',
    yLabel: `rows per second (over ${RATE_WINDOW_SECONDS} s)`,
    series: [
      { name: 'settled by transform (loaded or duplicate)', color: '#1f77b4', points: rates.map((rate) => [rate.atSeconds, rate.settled]) },
      { name: 'extracted (counted when a file is done)', color: '#ff7f0e', points: rates.map((rate) => [rate.atSeconds, rate.extracted]) },
    ],
    markers: uploadMarkers(run.files),
  });
}

export function progressSvg(run: LoadRunResult): string {
  return lineChartSvg({
    title: `Progress — ${run.profile}`,
    xLabel: 'seconds since the start (dashed: a file uploaded)',
    yLabel: 'rows, cumulative',
    series: [
      { name: 'uploaded', color: '#7f7f7f', points: run.samples.map((sample) => [sample.atSeconds, sample.uploadedRows]) },
      { name: 'extracted', color: '#ff7f0e', points: run.samples.map((sample) => [sample.atSeconds, sample.extractedRows]) },
      { name: 'settled by transform', color: '#1f77b4', points: run.samples.map((sample) => [sample.atSeconds, sample.settledRows]) },
    ],
    markers: uploadMarkers(run.files),
  });
}

/** Host instances the scaler ran, and the lag it decided on; only for runs with autoscaling. */
export function scalingSvg(run: LoadRunResult): string | undefined {
  const scaled = run.samples.filter((sample) => sample.instances !== undefined);
  if (run.scaling === undefined || scaled.length === 0) return undefined;
  return lineChartSvg({
    title: `Instances — ${run.profile}, ${run.scaling.mode} scaling`,
    xLabel: 'seconds since the start (dashed: a file uploaded)',
    yLabel: 'host instances',
    series: [{ name: 'instances running', color: '#2ca02c', points: scaled.map((sample) => [sample.atSeconds, sample.instances!]) }],
    markers: uploadMarkers(run.files),
    integerY: true,
  });
}

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const seconds1 = (value: number | null) => (value === null ? '–' : `${value.toFixed(1)} s`);

export function reportMarkdown(run: LoadRunResult, summary: LoadSummary = summarize(run)): string {
  const lines = [
    `# Load test: ${run.profile}`,
    '',
    `${run.description.charAt(0).toUpperCase()}${run.description.slice(1)}. Started ${run.startedAt}.`,
    '',
    ...Object.entries(run.settings).map(([name, value]) => `- ${name}: ${value}`),
    '',
    '## Summary',
    '',
    '| | |',
    '| --- | --- |',
    `| files complete | ${summary.filesComplete} of ${summary.files} |`,
    `| rows | ${integer.format(summary.totalRows)}: ${integer.format(summary.validRows)} valid, ${integer.format(summary.rejectedRows)} rejected |`,
    `| valid rows settled | ${integer.format(summary.loadedRows)} loaded, ${integer.format(summary.duplicateRows)} duplicate |`,
    `| every row accounted for | ${summary.allBalanced ? 'yes' : '**no**'} |`,
    `| first upload → last file complete | ${summary.seconds.toFixed(1)} s |`,
    `| throughput over the run | ${integer.format(summary.rowsPerSecond)} rows/s |`,
    `| peak transform rate (over ${RATE_WINDOW_SECONDS} s) | ${integer.format(summary.peakSettledRowsPerSecond)} rows/s |`,
    `| file latency, upload done → facts complete | median ${seconds1(summary.latencyMedianSeconds)}, max ${seconds1(summary.latencyMaxSeconds)} |`,
    `| retried attempts / dead letters | ${summary.retries ?? "not counted (only a local stack's own hosts are read)"} / ${summary.deadLetters} |`,
  ];
  if (run.cpu && run.cpu.processes.length > 0) {
    lines.push(
      `| CPU over the run | ${run.cpu.totalSeconds.toFixed(1)} s, ${((run.cpu.totalSeconds / Math.max(summary.totalRows, 1)) * 1e6).toFixed(1)} µs per row: ${run.cpu.processes.map((process) => `${process.name} ${process.seconds.toFixed(1)} s`).join(', ')} |`,
    );
  }
  if (run.scaling) {
    const scaling = run.scaling.summary;
    const ms = (value: number | undefined) => (value === undefined ? '–' : `${(value / 1000).toFixed(1)} s`);
    lines.push(
      `| autoscaling (${run.scaling.mode}) | peak ${scaling.peakInstances} instances, ${scaling.instanceSeconds.toFixed(0)} instance-seconds; first scale-out ${ms(scaling.reactionMs)} after lag appeared; peak lag ${integer.format(scaling.peakLag)} events |`,
    );
  }
  lines.push(
    '',
    '## Charts',
    '',
    '![Throughput](throughput.svg)',
    '',
    '![Progress](progress.svg)',
    '',
    ...(run.scaling ? ['![Instances](scaling.svg)', ''] : []),
    '## Files',
    '',
    '| file | uploaded | received | extracted | complete | state | rows | rejected | loaded | duplicate |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...run.files.map(
      (file) =>
        `| ${file.blobName} | ${seconds1(file.uploadedAtSeconds)} | ${seconds1(file.receivedAtSeconds)} | ${seconds1(file.extractedAtSeconds)} | ${seconds1(file.completedAtSeconds)} | ${file.state} | ${integer.format(file.totalRows)} | ${integer.format(file.rejectedRows)} | ${integer.format(file.loadedRows)} | ${integer.format(file.duplicateRows)} |`,
    ),
    '',
    'Raw data: `samples.csv` (one line per sample), `files.csv` (one line per file). Times are seconds since the start.',
    '',
  );
  return lines.join('\n');
}

/** Writes report.md, the two charts and both CSV files into `directory`; returns their paths. */
export async function writeLoadReport(directory: string, run: LoadRunResult): Promise<{ report: string; files: string[] }> {
  await mkdir(directory, { recursive: true });
  const outputs: Record<string, string> = {
    'report.md': reportMarkdown(run),
    'throughput.svg': throughputSvg(run),
    'progress.svg': progressSvg(run),
    'samples.csv': samplesCsv(run.samples),
    'files.csv': filesCsv(run.files),
  };
  const scaling = scalingSvg(run);
  if (scaling !== undefined) outputs['scaling.svg'] = scaling;
  const paths = [];
  for (const [name, text] of Object.entries(outputs)) {
    const path = join(directory, name);
    await writeFile(path, text);
    paths.push(path);
  }
  return { report: join(directory, 'report.md'), files: paths };
}
