/**
 * Runs one generated file through the local stack under a scaling mode and prints the scaler's
 * summary as one JSON line, so the two modes can be compared on the same input:
 *
 *   node --import tsx local/scaler/compare-modes.ts --mode functions --rows 200000
 *   node --import tsx local/scaler/compare-modes.ts --mode keda --rows 200000
 *
 * Scale-in hold (Functions) and scale-down window (HPA) are both shortened to `--hold-ms` (default
 * 30 s) so a run ends soon after the backlog; everything else uses the platforms' defaults.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startLocalStack } from '../cli/local-stack.js';
import { oneOf } from '../cli/cli-options.js';
import { uploadGeneratedIotCsv } from '../cli/upload-file.js';
import { getEtlRuntime } from '../../shared/runtime/etl-runtime.js';
import { withScaleInHold } from './pipeline-autoscaler.js';
import { SCALING_MODES } from './scaling-formulas.js';
import { summarizeScalerHistory } from './scaler-history.js';

const { values } = parseArgs({
  options: {
    mode: { type: 'string', default: 'functions' },
    rows: { type: 'string', default: '200000' },
    'chunk-rows': { type: 'string', default: '500' },
    'max-instances': { type: 'string', default: '4' },
    'poll-ms': { type: 'string', default: '1000' },
    'hold-ms': { type: 'string', default: '30000' },
  },
});
const mode = oneOf('mode', SCALING_MODES, values.mode);
const holdMs = Number(values['hold-ms']);
const stateDir = await mkdtemp(join(tmpdir(), `etl-compare-${mode}-`));
const stack = await startLocalStack({
  stateDir,
  ports: 'free',
  partitions: 4,
  settings: { ETL_CHUNK_MAX_ROWS: values['chunk-rows'] },
  autoscale: withScaleInHold({ mode, max: Number(values['max-instances']), pollMs: Number(values['poll-ms']) }, holdMs),
  log: (line) => {
    if (line.startsWith('[scaler]')) console.log(`${new Date().toISOString().slice(11, 19)} ${line}`);
  },
});
try {
  const startedAt = Date.now();
  await uploadGeneratedIotCsv(
    stack.blobService,
    'iot_events/compare.csv',
    { rows: Number(values.rows), seed: 5, duplicateRate: 0.02, badRowRate: 0.01, spreadMinutes: 600 },
    stack.config.containers.landing,
  );
  const runtime = await getEtlRuntime();
  const scaler = stack.scaler!;
  let completeSeconds: number | undefined;
  // Done when the file is complete and the scaler is back at one instance with no lag.
  while (Date.now() - startedAt < 15 * 60_000) {
    const [file] = await runtime.store.manifest.listFiles({ limit: 1 });
    if (file?.state === 'complete' && completeSeconds === undefined) completeSeconds = (Date.now() - startedAt) / 1000;
    const last = scaler.history.at(-1);
    if (completeSeconds !== undefined && last?.lag === 0 && last.instances === 1) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const polls = scaler.history.filter((sample) => sample.cause === 'poll');
  const gaps = polls.slice(1).map((sample, index) => sample.at - polls[index]!.at);
  console.log(
    JSON.stringify({
      mode,
      rows: Number(values.rows),
      completeSeconds,
      ...summarizeScalerHistory(scaler.history),
      polls: polls.length,
      longestPollGapMs: Math.max(0, ...gaps),
    }),
  );
} finally {
  await stack.close();
  await rm(stateDir, { recursive: true, force: true });
}
// Like `npm start`: the runtime's pools and SDK timers do not all let go of the event loop.
process.exit(0);
