/**
 * The calibration check: each measured case simulated with this machine's parameters and the load
 * the rest of the machine put on it, against the measured median time to drain (±25 %) and the
 * measured peak instance count (the simulated peak must be one the runs reached).
 */
import type { SimulationInputs } from '../calibration.js';
import { CALIBRATION_CASES, median, type CalibrationCase } from '../calibration-runs.js';
import { simulateLocalRun } from './local-run.js';

export const DRAIN_TOLERANCE = 0.25;

export interface CalibrationOutcome {
  readonly name: string;
  readonly command: string;
  readonly measuredDrain: number;
  readonly measuredDrains: readonly number[];
  readonly measuredPeaks: readonly number[];
  readonly backgroundCores: number;
  readonly simulatedDrain: number | undefined;
  readonly simulatedPeak: number;
  readonly drainError: number | undefined;
  readonly drainOk: boolean;
  readonly peakOk: boolean;
}

export function checkCase(inputs: SimulationInputs, entry: CalibrationCase): CalibrationOutcome {
  const runs = entry.measured.runs;
  const backgroundCores = median(runs.map((run) => run.backgroundCores));
  const result = simulateLocalRun(inputs, { ...entry.simulate, backgroundCores });
  const measuredDrain = median(runs.map((run) => run.drainSeconds));
  const measuredPeaks = [...new Set(runs.map((run) => run.peakInstances ?? 1))].sort((a, b) => a - b);
  const simulatedPeak = result.scaler?.peakInstances ?? 1;
  const simulatedDrain = entry.until === 'windows' ? result.windowsDrainSeconds : result.drainSeconds;
  const drainError = simulatedDrain === undefined ? undefined : simulatedDrain / measuredDrain - 1;
  return {
    name: entry.name,
    command: `npm run ${entry.command} -- ${entry.args.join(' ')}`,
    measuredDrain,
    measuredDrains: runs.map((run) => run.drainSeconds),
    measuredPeaks,
    backgroundCores,
    simulatedDrain,
    simulatedPeak,
    drainError,
    drainOk: drainError !== undefined && Math.abs(drainError) <= DRAIN_TOLERANCE,
    peakOk: measuredPeaks.includes(simulatedPeak),
  };
}

export function checkCalibration(inputs: SimulationInputs): CalibrationOutcome[] {
  return CALIBRATION_CASES.map((entry) => checkCase(inputs, entry));
}

export function calibrationTable(outcomes: readonly CalibrationOutcome[]): string {
  return [
    '| case | command | measured drain (median; runs) | simulated | error | measured peak | simulated peak | background cores |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...outcomes.map(
      (outcome) =>
        `| ${outcome.name} | \`${outcome.command}\` | ${outcome.measuredDrain.toFixed(1)} s; ${outcome.measuredDrains.map((value) => value.toFixed(1)).join(', ')} | ${outcome.simulatedDrain?.toFixed(1) ?? '–'} s | ${outcome.drainError === undefined ? '–' : `${(outcome.drainError * 100).toFixed(0)} %`}${outcome.drainOk ? '' : ' ✗'} | ${outcome.measuredPeaks.join(', ')} | ${outcome.simulatedPeak}${outcome.peakOk ? '' : ' ✗'} | ${outcome.backgroundCores.toFixed(2)} |`,
    ),
  ].join('\n');
}
