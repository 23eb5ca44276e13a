/**
 * `npm run simulate -- --profile burst|steady|diurnal|spike --mode functions|keda|both [options]`:
 * a deterministic simulation of the pipeline on Azure — Flex Consumption (`functions`) or KEDA on
 * AKS (`keda`) — with the calibrated inputs (simulation/calibration.ts). Prints the summary table and
 * writes a report with charts side by side to `--out` (default simulation-results/<profile>).
 * `--inputs` lists every input with its source; `--calibrate` checks the model against the measured
 * local runs; `--sensitivity` reruns the comparison with each main input halved and doubled.
 */
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { CALIBRATION, calibratedValues, inputPaths, withInput, type CalibratedInput, type SimulationInputs } from './calibration.js';
import { calibrationTable, checkCalibration } from './run/calibration-check.js';
import { comparePlatforms, MODE_PLATFORMS, type ScalingModeName } from './run/compare-platforms.js';
import { runSensitivity, sensitivityTable } from './run/sensitivity.js';
import { WORKLOAD_PROFILES, planWorkload, type WorkloadProfile } from './model/workloads.js';
import { summaryTable, writeSimulationReport } from './report/simulation-report.js';
import type { EventHubsTier } from './model/azure-environment.js';

const USAGE = `npm run simulate -- [options]

  --profile burst|steady|diurnal|spike   the workload (default burst)
  --mode functions|keda|both             Flex Consumption, KEDA on AKS, or both side by side (default both)
  --gb N                                 burst: total size (50); others: GB a day (steady 10, diurnal 1000, spike 100)
  --files N                              burst: how many files land at once (50)
  --file-mb N                            size of each file (burst: gb / files; steady and spike 100, diurnal 1000)
  --hours N                              how long the load is offered (steady 6, diurnal 24, spike 2)
  --amplitude F                          diurnal: peak above the mean, as a fraction of it (0.8)
  --spike-factor F --spike-minutes N --spike-at-hours N   spike: 10× for 10 min after 1 h
  --seed N                               random arrivals (diurnal, spike; default 7)
  --tier Standard|Premium                Event Hubs tier (default Standard)
  --set GROUP.name=value                 change an input, e.g. --set SQL.vCores=8 --set EVENT_HUBS.capacityUnits=20
  --out DIR                              report folder (default simulation-results/<profile>)
  --sample-seconds N                     time between samples (default: ~400 over the run)
  --sensitivity                          also rerun with each main input halved and doubled
  --inputs                               list every input with its value and source, and exit
  --calibrate                            simulate the measured local runs and compare, and exit
`;

function parseSets(sets: readonly string[], inputs: SimulationInputs): SimulationInputs {
  return sets.reduce((values, assignment) => {
    const match = /^([A-Z_]+\.[A-Za-z0-9]+)=(.+)$/.exec(assignment);
    if (!match) throw new Error(`--set wants GROUP.name=value, got '${assignment}' (inputs: npm run simulate -- --inputs)`);
    return withInput(values, match[1]!, Number(match[2]));
  }, inputs);
}

function describeSource(entry: CalibratedInput): string {
  const source = entry.source;
  switch (source.kind) {
    case 'measured':
      return `measured: \`${source.command}\` (${source.doc})`;
    case 'code':
      return `code: ${source.path}`;
    case 'documented':
      return `documented: ${source.url}`;
    case 'assumption':
      return `assumption: ${source.why}; replace by ${source.replaceBy}`;
  }
}

export function inputsTable(): string {
  const lines = ['| input | value | what | source |', '| --- | --- | --- | --- |'];
  for (const [group, entries] of Object.entries(CALIBRATION)) {
    for (const [name, entry] of Object.entries(entries as Record<string, CalibratedInput>))
      lines.push(`| ${group}.${name} | ${entry.value} ${entry.unit} | ${entry.what} | ${describeSource(entry)} |`);
  }
  return lines.join('\n');
}

function oneOf<T extends string>(name: string, allowed: readonly T[], value: string): T {
  if (!(allowed as readonly string[]).includes(value)) throw new Error(`--${name} must be one of ${allowed.join(', ')}, got '${value}'`);
  return value as T;
}

function optionalNumber(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isFinite(number)) throw new Error(`--${name} must be a number, got '${value}'`);
  return number;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      profile: { type: 'string', default: 'burst' },
      mode: { type: 'string', default: 'both' },
      gb: { type: 'string' },
      files: { type: 'string' },
      'file-mb': { type: 'string' },
      hours: { type: 'string' },
      amplitude: { type: 'string' },
      'spike-factor': { type: 'string' },
      'spike-minutes': { type: 'string' },
      'spike-at-hours': { type: 'string' },
      seed: { type: 'string' },
      tier: { type: 'string', default: 'Standard' },
      set: { type: 'string', multiple: true, default: [] },
      out: { type: 'string' },
      'sample-seconds': { type: 'string' },
      sensitivity: { type: 'boolean', default: false },
      inputs: { type: 'boolean', default: false },
      calibrate: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (values.inputs) {
    console.log(inputsTable());
    console.log(`\n${inputPaths().length} inputs.`);
    return;
  }
  const inputs = parseSets(values.set, calibratedValues());
  if (values.calibrate) {
    const outcomes = checkCalibration(inputs);
    console.log(calibrationTable(outcomes));
    const failed = outcomes.filter((outcome) => !outcome.drainOk || !outcome.peakOk);
    console.log(
      failed.length === 0
        ? '\nEvery case within ±25 % of the measured drain time, at a measured peak.'
        : `\nOutside the tolerance: ${failed.map((outcome) => outcome.name).join(', ')}`,
    );
    process.exitCode = failed.length === 0 ? 0 : 1;
    return;
  }
  const profile = oneOf<WorkloadProfile>('profile', WORKLOAD_PROFILES, values.profile);
  const modes: ScalingModeName[] =
    values.mode === 'both'
      ? ['functions', 'keda']
      : [oneOf<ScalingModeName>('mode', Object.keys(MODE_PLATFORMS) as ScalingModeName[], values.mode)];
  const tier = oneOf<EventHubsTier>('tier', ['Standard', 'Premium'], values.tier);
  const workload = planWorkload({
    profile,
    csvBytesPerRow: inputs.DATA.csvBytesPerRow,
    gigabytes: optionalNumber('gb', values.gb),
    files: optionalNumber('files', values.files),
    fileMegabytes: optionalNumber('file-mb', values['file-mb']),
    hours: optionalNumber('hours', values.hours),
    amplitude: optionalNumber('amplitude', values.amplitude),
    spikeFactor: optionalNumber('spike-factor', values['spike-factor']),
    spikeMinutes: optionalNumber('spike-minutes', values['spike-minutes']),
    spikeAtHours: optionalNumber('spike-at-hours', values['spike-at-hours']),
    seed: optionalNumber('seed', values.seed),
  });
  const sampleSeconds = optionalNumber('sample-seconds', values['sample-seconds']);
  console.log(`Simulating ${workload.description}, ${modes.map((mode) => `${mode} (${MODE_PLATFORMS[mode]})`).join(' and ')}…`);
  const runs = comparePlatforms(inputs, workload, { modes, tier, sampleSeconds });
  const settings = [
    `workload: ${workload.description} (${workload.files.length} files)`,
    `Event Hubs ${tier}, ${inputs.EVENT_HUBS.capacityUnits} ${tier === 'Standard' ? 'TU' : 'PU'}; records ${inputs.EVENT_HUBS.recordsPartitions} partitions, aggregates ${inputs.EVENT_HUBS.aggregatesPartitions}`,
    `Azure SQL ${inputs.SQL.vCores} vCores; Flex ${inputs.FLEX.instanceMemoryMb} MB instances, at most ${inputs.FLEX.maximumInstanceCount}, ${inputs.FLEX.alwaysReady} always ready; AKS ${inputs.AKS.nodeMin}–${inputs.AKS.nodeMax} nodes`,
    ...(values.set.length > 0 ? [`changed inputs: ${values.set.join(', ')}`] : []),
  ];
  console.log(`\n${summaryTable(runs)}\n`);
  for (const run of runs) for (const note of run.summary.notes) console.log(`${run.result.label}: ${note}`);
  const out = values.out ?? `simulation-results/${profile}`;
  const files = await writeSimulationReport(out, `Simulated ${profile}: ${modes.join(' against ')}`, workload.description, runs, settings);
  console.log(`Report: ${relative(process.cwd(), files[0]!)} (charts and samples beside it)`);
  if (values.sensitivity) {
    console.log('\nSensitivity: each input halved and doubled (bold: the conclusion changed)…');
    const report = runSensitivity(inputs, workload, { modes, tier, sampleSeconds });
    console.log(sensitivityTable(report));
  }
}

main().catch((error: unknown) => {
  console.error((error as Error).message);
  process.exitCode = 1;
});
