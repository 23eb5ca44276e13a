/**
 * One workload through both scaling platforms (or one), summarized for the report; and the
 * conclusions a comparison draws, which the sensitivity runs test against changed inputs.
 */
import type { SimulationInputs } from '../calibration.js';
import type { EventHubsTier } from '../model/azure-environment.js';
import type { Workload } from '../model/workloads.js';
import type { ComparedRun } from '../report/simulation-report.js';
import { simulateAzureRun, type AzurePlatform } from './azure-run.js';
import { summarizeRun, type RunSummary } from './run-summary.js';

export const MODE_PLATFORMS = { functions: 'flex', keda: 'aks' } as const satisfies Record<string, AzurePlatform>;
export type ScalingModeName = keyof typeof MODE_PLATFORMS;

export function comparePlatforms(
  inputs: SimulationInputs,
  workload: Workload,
  options: { readonly modes: readonly ScalingModeName[]; readonly tier?: EventHubsTier; readonly sampleSeconds?: number },
): ComparedRun[] {
  return options.modes.map((mode) => {
    const result = simulateAzureRun(inputs, {
      platform: MODE_PLATFORMS[mode],
      workload,
      tier: options.tier,
      sampleSeconds: options.sampleSeconds,
    });
    return { result, summary: summarizeRun(result) };
  });
}

export interface Conclusions {
  /** The mode that drained first (within 5 %: 'tie'); 'neither' when neither drained. */
  readonly drainsFirst: string;
  readonly lowerP95Latency: string;
  readonly cheaperPerMillionRows: string;
  /** The main bottleneck of each mode. */
  readonly bottleneck: Readonly<Record<string, string>>;
}

const TIE = 0.05;

function better(values: readonly { mode: string; value: number | undefined }[]): string {
  const known = values.filter(
    (entry): entry is { mode: string; value: number } => entry.value !== undefined && Number.isFinite(entry.value),
  );
  if (known.length === 0) return 'neither';
  if (known.length === 1) return known[0]!.mode;
  const sorted = [...known].sort((a, b) => a.value - b.value);
  return sorted[1]!.value - sorted[0]!.value <= TIE * sorted[1]!.value ? 'tie' : sorted[0]!.mode;
}

export function conclusionsOf(runs: readonly { readonly mode: string; readonly summary: RunSummary }[]): Conclusions {
  return {
    drainsFirst: better(runs.map((run) => ({ mode: run.mode, value: run.summary.drainSeconds }))),
    lowerP95Latency: better(runs.map((run) => ({ mode: run.mode, value: run.summary.latency?.p95 }))),
    cheaperPerMillionRows: better(runs.map((run) => ({ mode: run.mode, value: run.summary.computeCostPerMillionRows }))),
    bottleneck: Object.fromEntries(runs.map((run) => [run.mode, run.summary.bottlenecks[0]?.bottleneck ?? 'none'])),
  };
}
