/**
 * The report of a simulated comparison: the summary table with one column per scaling mode, charts
 * of the same series for each mode side by side on shared axes (lag, instances, throughput, file
 * latency), and the samples as CSV. Charts are drawn by the load test's SVG line chart.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { lineChartSvg, sideBySideSvg, type ChartSeries } from '../../load-tests/line-chart-svg.js';
import { csvLine } from '../../shared/csv/csv-line.js';
import type { SimulationResult } from '../run/simulation-result.js';
import type { RunSummary } from '../run/run-summary.js';
import { formatDuration } from '../model/workloads.js';

export interface ComparedRun {
  readonly result: SimulationResult;
  readonly summary: RunSummary;
}

const COLORS: Readonly<Record<string, string>> = {
  extract: '#ff7f0e',
  transform: '#1f77b4',
  aggregate: '#2ca02c',
  host: '#1f77b4',
  nodes: '#7f7f7f',
};

/** Seconds, minutes or hours on the x axis, whichever keeps the numbers readable. */
function timeAxis(runs: readonly ComparedRun[]): { unit: string; scale: number } {
  const end = Math.max(...runs.map((run) => run.result.endedAt));
  if (end > 3 * 3600) return { unit: 'hours', scale: 1 / 3600 };
  if (end > 600) return { unit: 'minutes', scale: 1 / 60 };
  return { unit: 'seconds', scale: 1 };
}

/**
 * Fewer points for the same picture: a point whose neighbours have its value adds nothing to a line,
 * and a long noisy series is thinned to every n-th point (the first and last kept).
 */
export function compactPoints(points: readonly (readonly [number, number])[], maxPoints = 800): [number, number][] {
  const kept = points.filter(
    (point, index) =>
      index === 0 || index === points.length - 1 || points[index - 1]![1] !== point[1] || points[index + 1]![1] !== point[1],
  );
  if (kept.length <= maxPoints) return kept.map(([x, y]) => [x, y]);
  const step = Math.ceil(kept.length / maxPoints);
  return kept.filter((_, index) => index % step === 0 || index === kept.length - 1).map(([x, y]) => [x, y]);
}

function sideBySide(
  runs: readonly ComparedRun[],
  chart: (
    run: ComparedRun,
    axes: { xAtLeast: number; yAtLeast: number },
  ) => { title: string; yLabel: string; series: ChartSeries[]; integerY?: boolean },
): string {
  const { unit, scale } = timeAxis(runs);
  const drafts = runs.map((run) => chart(run, { xAtLeast: 0, yAtLeast: 0 }));
  const xAtLeast = Math.max(...runs.map((run) => run.result.endedAt * scale));
  let yAtLeast = 1;
  for (const draft of drafts) for (const series of draft.series) for (const [, y] of series.points) yAtLeast = Math.max(yAtLeast, y);
  return sideBySideSvg(
    drafts.map((draft) =>
      lineChartSvg({
        ...draft,
        series: draft.series.map((series) => ({ ...series, points: compactPoints(series.points) })),
        xLabel: `${unit} since the start`,
        xAtLeast,
        yAtLeast,
      }),
    ),
  );
}

export function lagChart(runs: readonly ComparedRun[]): string {
  const { scale } = timeAxis(runs);
  return sideBySide(runs, (run) => ({
    title: `Backlog — ${run.result.label}`,
    yLabel: 'events or messages waiting',
    series: [
      {
        name: 'records lag (events)',
        color: '#1f77b4',
        points: run.result.samples.map((sample) => [sample.at * scale, sample.recordsLag]),
      },
      { name: 'aggregates lag', color: '#2ca02c', points: run.result.samples.map((sample) => [sample.at * scale, sample.aggregatesLag]) },
      {
        name: 'landing queue (files)',
        color: '#ff7f0e',
        points: run.result.samples.map((sample) => [sample.at * scale, sample.queueLength]),
      },
    ],
  }));
}

export function instancesChart(runs: readonly ComparedRun[]): string {
  const { scale } = timeAxis(runs);
  return sideBySide(runs, (run) => ({
    title: `Instances — ${run.result.label}`,
    yLabel: run.result.platform === 'aks' ? 'pods taking work, and nodes' : 'instances taking work',
    integerY: true,
    series: [
      ...run.result.groups.map((group) => ({
        name: group,
        color: COLORS[group] ?? '#333',
        points: run.result.samples.map((sample): [number, number] => [sample.at * scale, sample.instances[group] ?? 0]),
      })),
      ...(run.result.platform === 'aks'
        ? [
            {
              name: 'nodes',
              color: COLORS.nodes!,
              points: run.result.samples.map((sample): [number, number] => [sample.at * scale, sample.nodes ?? 0]),
            },
          ]
        : []),
    ],
  }));
}

/**
 * Rows per second over a window of about 1/100 of the run (at least one sample step): the counters
 * move in whole rounds of chunks and transactions, and equal jobs sharing a quota end together, so
 * rates between neighbouring samples jump between zero and several times the real rate.
 */
export function windowedRates(
  samples: readonly SimulationResult['samples'][number][],
  field: 'settledRows' | 'extractedRows',
): [number, number][] {
  if (samples.length < 2) return [];
  const window = Math.max(samples[1]!.at - samples[0]!.at, (samples.at(-1)!.at - samples[0]!.at) / 100);
  const rates: [number, number][] = [];
  let from = 0;
  for (let index = 1; index < samples.length; index += 1) {
    const sample = samples[index]!;
    while (from + 1 < index && sample.at - samples[from + 1]!.at >= window) from += 1;
    const before = samples[from]!;
    rates.push([sample.at, (sample[field] - before[field]) / Math.max(1e-9, sample.at - before.at)]);
  }
  return rates;
}

export function throughputChart(runs: readonly ComparedRun[]): string {
  const { scale } = timeAxis(runs);
  return sideBySide(runs, (run) => {
    const scaled = (list: [number, number][]) => list.map(([x, y]): [number, number] => [x * scale, y]);
    return {
      title: `Throughput — ${run.result.label}`,
      yLabel: 'rows per second (over 1 % of the run)',
      series: [
        { name: 'loaded by transform', color: '#1f77b4', points: scaled(windowedRates(run.result.samples, 'settledRows')) },
        { name: 'extracted', color: '#ff7f0e', points: scaled(windowedRates(run.result.samples, 'extractedRows')) },
      ],
    };
  });
}

export function latencyChart(runs: readonly ComparedRun[]): string {
  const { scale } = timeAxis(runs);
  return sideBySide(runs, (run) => ({
    title: `File latency — ${run.result.label}`,
    yLabel: 'seconds from landing to loaded',
    series: [
      {
        name: 'each file, at its landing time',
        color: '#d62728',
        points: run.result.files
          .filter((file) => file.completedAt !== undefined)
          .map((file): [number, number] => {
            const landed = file.committedAt ?? file.file.arriveAt;
            return [landed * scale, file.completedAt! - landed];
          })
          .sort((a, b) => a[0] - b[0]),
      },
    ],
  }));
}

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const seconds = (value: number | undefined) => (value === undefined ? '–' : formatDuration(value));
const usd = (value: number) => `$${value < 1 ? value.toFixed(3) : value.toFixed(2)}`;

/** The summary table: one row per figure, one column per run. */
export function summaryTable(runs: readonly ComparedRun[]): string {
  const row = (label: string, cell: (run: ComparedRun) => string) => `| ${label} | ${runs.map(cell).join(' | ')} |`;
  return [
    `| | ${runs.map((run) => run.result.label).join(' | ')} |`,
    `| --- | ${runs.map(() => '---').join(' | ')} |`,
    row('files complete', ({ summary }) => `${summary.filesComplete} of ${summary.files}`),
    row('time to drain (first file landed → last loaded)', ({ summary }) => seconds(summary.drainSeconds)),
    row('backlog after the last file landed', ({ summary }) => seconds(summary.tailSeconds)),
    row('file latency p50 / p95 / max', ({ summary }) =>
      summary.latency ? `${seconds(summary.latency.p50)} / ${seconds(summary.latency.p95)} / ${seconds(summary.latency.max)}` : '–',
    ),
    row(
      'peak instances (extract / transform / aggregate)',
      ({ result, summary }) =>
        result.groups.map((group) => summary.peakInstances[group] ?? 0).join(' / ') +
        (summary.peakNodes !== undefined ? `; ${summary.peakNodes} nodes` : ''),
    ),
    row('reaction: first file landed → first added instance working', ({ summary }) => seconds(summary.reactionSeconds)),
    row('instance-seconds (every instance, start to stop)', ({ summary }) => integer.format(summary.instanceSeconds)),
    row('billed: Flex instance-seconds executing / AKS node-seconds', ({ summary }) =>
      summary.billedSeconds === undefined ? '–' : integer.format(summary.billedSeconds),
    ),
    row('compute cost per million rows', ({ summary }) => usd(summary.computeCostPerMillionRows)),
    row('total cost per million rows (with Event Hubs and SQL)', ({ summary }) => usd(summary.costPerMillionRows)),
    row(
      'bottleneck while files waited',
      ({ summary }) =>
        summary.bottlenecks
          .filter((entry) => entry.share >= 0.01)
          .slice(0, 2)
          .map((entry) => `${entry.bottleneck}${entry.share < 1 ? ` ${(entry.share * 100).toFixed(0)} %` : ''}`)
          .join(', ') || '–',
    ),
    row('busy while files waited: database / hub in / hub out', ({ summary }) =>
      ['sql', 'event hubs ingress', 'event hubs egress']
        .map((name) => (summary.utilization[name] === undefined ? '–' : `${(summary.utilization[name]! * 100).toFixed(0)} %`))
        .join(' / '),
    ),
  ].join('\n');
}

export function samplesCsv(runs: readonly ComparedRun[]): string {
  const groups = [...new Set(runs.flatMap((run) => run.result.groups))];
  const header = [
    'run',
    'at_seconds',
    'records_lag',
    'aggregates_lag',
    'queue_length',
    ...groups.map((group) => `${group}_instances`),
    'nodes',
    'extracted_rows',
    'settled_rows',
    'sql_use',
    'ingress_use',
    'egress_use',
  ];
  const lines = runs.flatMap((run) =>
    run.result.samples.map((sample) => [
      run.result.platform,
      sample.at.toFixed(2),
      sample.recordsLag,
      sample.aggregatesLag,
      sample.queueLength,
      ...groups.map((group) => sample.instances[group] ?? 0),
      sample.nodes,
      Math.round(sample.extractedRows),
      Math.round(sample.settledRows),
      sample.utilization.sql?.toFixed(3),
      sample.utilization['event hubs ingress']?.toFixed(3),
      sample.utilization['event hubs egress']?.toFixed(3),
    ]),
  );
  return [header, ...lines].map(csvLine).join('\n') + '\n';
}

export function reportMarkdown(title: string, description: string, runs: readonly ComparedRun[], settings: readonly string[]): string {
  return [
    `# ${title}`,
    '',
    `${description.charAt(0).toUpperCase()}${description.slice(1)}.`,
    '',
    ...settings.map((line) => `- ${line}`),
    '',
    summaryTable(runs),
    '',
    ...runs.flatMap((run) => run.summary.notes.map((note) => `- ${run.result.label}: ${note}`)),
    '',
    '![Backlog](lag.svg)',
    '',
    '![Instances](instances.svg)',
    '',
    '![Throughput](throughput.svg)',
    '',
    '![File latency](latency.svg)',
    '',
    'Samples of every run: `samples.csv`.',
    '',
  ].join('\n');
}

export async function writeSimulationReport(
  directory: string,
  title: string,
  description: string,
  runs: readonly ComparedRun[],
  settings: readonly string[],
): Promise<string[]> {
  await mkdir(directory, { recursive: true });
  const outputs: Record<string, string> = {
    'report.md': reportMarkdown(title, description, runs, settings),
    'lag.svg': lagChart(runs),
    'instances.svg': instancesChart(runs),
    'throughput.svg': throughputChart(runs),
    'latency.svg': latencyChart(runs),
    'samples.csv': samplesCsv(runs),
  };
  const paths: string[] = [];
  for (const [name, text] of Object.entries(outputs)) {
    await writeFile(join(directory, name), text);
    paths.push(join(directory, name));
  }
  return paths;
}
