/**
 * The measured runs the simulation must reproduce with this machine's parameters, each with the
 * command that produced it and the load the rest of the machine put on the cores meanwhile. The
 * calibration test (test/calibration.test.ts) simulates each case on the local platform and checks
 * the time to drain within ±25 % of the measured median and the same peak instance count.
 */
import type { LocalRunOptions } from './run/local-run.js';
import { loadTestWorkload } from './model/workloads.js';

export interface MeasuredRecord {
  /** First upload → last file complete. */
  readonly drainSeconds: number;
  readonly peakInstances?: number;
  readonly latencyMaxSeconds?: number;
  /** Cores the rest of the machine kept busy meanwhile (0: measured on a quiet machine). */
  readonly backgroundCores: number;
}

export interface CalibrationCase {
  readonly name: string;
  readonly command: 'scale:compare' | 'load-test' | 'bench';
  /** What the command times: until the files' facts are loaded, or until their window rows are merged too (the bench). */
  readonly until: 'facts' | 'windows';
  readonly args: readonly string[];
  /** The same run, as the simulation's local platform runs it. */
  readonly simulate: Omit<LocalRunOptions, 'backgroundCores'>;
  /** Where the runs were recorded, and the runs. */
  readonly measured: { readonly where: string; readonly runs: readonly MeasuredRecord[] };
}

const COMPARE = { placement: 'shared', chunkRows: 500, partitions: 4 } as const;
const compareAutoscale = (mode: 'functions' | 'keda') => ({ mode, maxInstances: 4, pollMs: 1000, holdMs: 30_000 });

export const CALIBRATION_CASES: readonly CalibrationCase[] = [
  {
    name: 'compare-functions',
    command: 'scale:compare',
    until: 'facts',
    args: ['--mode', 'functions', '--rows', '300000'],
    simulate: {
      ...COMPARE,
      workload: loadTestWorkload('burst', { files: 1, rows: 300_000, intervalSeconds: 0 }),
      autoscale: compareAutoscale('functions'),
    },
    measured: {
      where: 'docs/evaluation.md#autoscaling-functions-target-based-scaling-against-keda--hpa',
      runs: [
        { drainSeconds: 8.4, peakInstances: 2, backgroundCores: 0 },
        { drainSeconds: 9.2, peakInstances: 4, backgroundCores: 0 },
      ],
    },
  },
  {
    name: 'compare-keda',
    command: 'scale:compare',
    until: 'facts',
    args: ['--mode', 'keda', '--rows', '300000'],
    simulate: {
      ...COMPARE,
      workload: loadTestWorkload('burst', { files: 1, rows: 300_000, intervalSeconds: 0 }),
      autoscale: compareAutoscale('keda'),
    },
    measured: {
      where: 'docs/evaluation.md#autoscaling-functions-target-based-scaling-against-keda--hpa',
      runs: [
        { drainSeconds: 9.6, peakInstances: 3, backgroundCores: 0 },
        { drainSeconds: 11.1, peakInstances: 4, backgroundCores: 0 },
      ],
    },
  },
  {
    name: 'burst',
    command: 'load-test',
    until: 'facts',
    args: ['--profile', 'burst', '--files', '4', '--rows', '250000'],
    simulate: { placement: 'per-function', workload: loadTestWorkload('burst', { files: 4, rows: 250_000, intervalSeconds: 0 }) },
    measured: {
      where: 'docs/evaluation.md#load-profiles-bursts-a-steady-load-a-climbing-load',
      runs: [{ drainSeconds: 15.4, latencyMaxSeconds: 12.9, peakInstances: 1, backgroundCores: 0 }],
    },
  },
  {
    name: 'steady',
    command: 'load-test',
    until: 'facts',
    args: ['--profile', 'steady', '--files', '6', '--rows', '100000', '--interval', '2'],
    simulate: { placement: 'per-function', workload: loadTestWorkload('steady', { files: 6, rows: 100_000, intervalSeconds: 2 }) },
    measured: {
      where: 'docs/evaluation.md#load-profiles-bursts-a-steady-load-a-climbing-load',
      runs: [{ drainSeconds: 12.4, latencyMaxSeconds: 2.8, peakInstances: 1, backgroundCores: 0 }],
    },
  },
  {
    name: 'ramp-functions',
    command: 'load-test',
    until: 'facts',
    args: ['--profile', 'ramp', '--files', '6', '--rows', '200000', '--interval', '2', '--chunk-rows', '500', '--autoscale', 'functions'],
    simulate: {
      ...COMPARE,
      workload: loadTestWorkload('ramp', { files: 6, rows: 200_000, intervalSeconds: 2 }),
      autoscale: compareAutoscale('functions'),
    },
    measured: {
      where: 'docs/evaluation.md#autoscaling-functions-target-based-scaling-against-keda--hpa',
      runs: [
        { drainSeconds: 17.3, peakInstances: 4, latencyMaxSeconds: 8.3, backgroundCores: 0 },
        { drainSeconds: 15.7, peakInstances: 2, latencyMaxSeconds: 4.9, backgroundCores: 0 },
      ],
    },
  },
  {
    name: 'ramp-keda',
    command: 'load-test',
    until: 'facts',
    args: ['--profile', 'ramp', '--files', '6', '--rows', '200000', '--interval', '2', '--chunk-rows', '500', '--autoscale', 'keda'],
    simulate: {
      ...COMPARE,
      workload: loadTestWorkload('ramp', { files: 6, rows: 200_000, intervalSeconds: 2 }),
      autoscale: compareAutoscale('keda'),
    },
    measured: {
      where: 'docs/evaluation.md#autoscaling-functions-target-based-scaling-against-keda--hpa',
      runs: [{ drainSeconds: 16.5, peakInstances: 4, latencyMaxSeconds: 5.7, backgroundCores: 0 }],
    },
  },
  {
    name: 'bench-per-function',
    command: 'bench',
    until: 'windows',
    args: ['--stages', 'e2e', '--extract-mb', '0', '--placement', 'per-function'],
    simulate: {
      placement: 'per-function',
      generatedUpload: false,
      workload: loadTestWorkload('burst', { files: 1, rows: 1_000_000, intervalSeconds: 0 }),
    },
    measured: { where: 'docs/benchmarks.md#end-to-end', runs: [{ drainSeconds: 13.4, peakInstances: 1, backgroundCores: 0 }] },
  },
  {
    name: 'bench-shared',
    command: 'bench',
    until: 'windows',
    args: ['--stages', 'e2e', '--extract-mb', '0', '--placement', 'shared'],
    simulate: {
      placement: 'shared',
      generatedUpload: false,
      workload: loadTestWorkload('burst', { files: 1, rows: 1_000_000, intervalSeconds: 0 }),
    },
    measured: { where: 'docs/benchmarks.md#end-to-end', runs: [{ drainSeconds: 15.7, peakInstances: 1, backgroundCores: 0 }] },
  },
  {
    name: 'bench-four-files',
    command: 'bench',
    until: 'windows',
    args: ['--stages', 'e2e', '--extract-mb', '0', '--placement', 'per-function', '--files', '4'],
    simulate: {
      placement: 'per-function',
      generatedUpload: false,
      workload: loadTestWorkload('burst', { files: 4, rows: 250_000, intervalSeconds: 0 }),
    },
    measured: {
      where: 'docs/evaluation.md#parallel-jobs',
      runs: [
        { drainSeconds: 13.7, peakInstances: 1, backgroundCores: 0 },
        { drainSeconds: 12.2, peakInstances: 1, backgroundCores: 0 },
      ],
    },
  },
];

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
