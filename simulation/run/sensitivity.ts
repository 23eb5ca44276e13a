/**
 * Sensitivity: each input the conclusions depend on most, halved and doubled, and whether each
 * conclusion of the baseline comparison still holds.
 */
import { inputOf, withInput, type SimulationInputs } from '../calibration.js';
import type { EventHubsTier } from '../model/azure-environment.js';
import type { Workload } from '../model/workloads.js';
import { comparePlatforms, conclusionsOf, type Conclusions, type ScalingModeName } from './compare-platforms.js';

/**
 * The inputs a 2× error would most likely move: cold start and node start, KEDA's polling, the
 * database, partitions, core speed. The database is varied by its two assumptions (log per row,
 * one session's rate), not by the documented log rate per vCore, which the 50 MB/s cap of General
 * Purpose hides at the sizes a large load needs (docs/scaling-study.md#sensitivity).
 */
export const SENSITIVE_INPUTS = [
  'FLEX.coldStartSeconds',
  'AKS.nodeProvisionSeconds',
  'AKS.kedaPollingSeconds',
  'SQL.logBytesPerRow',
  'SQL.rowsPerSecondPerSession',
  'EVENT_HUBS.recordsPartitions',
  'WORK_PER_ROW.azureCoreSpeed',
] as const;
export const FACTORS = [0.5, 2] as const;

export interface SensitivityRow {
  readonly input: string;
  readonly factor: number;
  readonly value: number;
  readonly conclusions: Conclusions;
  /** Conclusion name → whether it matches the baseline's. */
  readonly holds: Readonly<Record<string, boolean>>;
}

export interface SensitivityReport {
  readonly baseline: Conclusions;
  readonly rows: readonly SensitivityRow[];
}

function compare(baseline: Conclusions, other: Conclusions): Record<string, boolean> {
  return {
    'drains first': baseline.drainsFirst === other.drainsFirst,
    'lower p95 latency': baseline.lowerP95Latency === other.lowerP95Latency,
    'cheaper per million rows': baseline.cheaperPerMillionRows === other.cheaperPerMillionRows,
    bottleneck: Object.keys(baseline.bottleneck).every((mode) => baseline.bottleneck[mode] === other.bottleneck[mode]),
  };
}

export function runSensitivity(
  inputs: SimulationInputs,
  workload: Workload,
  options: {
    readonly modes: readonly ScalingModeName[];
    readonly tier?: EventHubsTier;
    readonly inputs?: readonly string[];
    readonly sampleSeconds?: number;
  },
): SensitivityReport {
  const conclude = (values: SimulationInputs) =>
    conclusionsOf(comparePlatforms(values, workload, options).map((run, index) => ({ mode: options.modes[index]!, summary: run.summary })));
  const baseline = conclude(inputs);
  const rows: SensitivityRow[] = [];
  for (const path of options.inputs ?? SENSITIVE_INPUTS) {
    const [group, name] = path.split('.') as [keyof SimulationInputs, string];
    const base = (inputs[group] as Record<string, number>)[name]!;
    for (const factor of FACTORS) {
      const integer = inputOf(path).unit === 'partitions';
      const value = integer ? Math.max(1, Math.round(base * factor)) : base * factor;
      const conclusions = conclude(withInput(inputs, path, value));
      rows.push({ input: path, factor, value, conclusions, holds: compare(baseline, conclusions) });
    }
  }
  return { baseline, rows };
}

export function sensitivityTable(report: SensitivityReport): string {
  const names = ['drains first', 'lower p95 latency', 'cheaper per million rows', 'bottleneck'];
  const describe = (conclusions: Conclusions) => ({
    'drains first': conclusions.drainsFirst,
    'lower p95 latency': conclusions.lowerP95Latency,
    'cheaper per million rows': conclusions.cheaperPerMillionRows,
    bottleneck: Object.entries(conclusions.bottleneck)
      .map(([mode, bottleneck]) => `${mode}: ${bottleneck}`)
      .join('; '),
  });
  const base = describe(report.baseline);
  return [
    `| input | × | value | ${names.join(' | ')} |`,
    `| --- | --- | --- | ${names.map(() => '---').join(' | ')} |`,
    `| (baseline) | 1 | | ${names.map((name) => base[name as keyof typeof base]).join(' | ')} |`,
    ...report.rows.map((row) => {
      const cells = describe(row.conclusions);
      return `| ${row.input} | ${row.factor} | ${+row.value.toPrecision(4)} | ${names.map((name) => (row.holds[name] ? 'holds' : `**${cells[name as keyof typeof cells]}**`)).join(' | ')} |`;
    }),
  ].join('\n');
}
