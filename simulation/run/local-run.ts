/**
 * A run of the local stack on this machine's parameters: what the calibration compares with the
 * measured `scale:compare` and load-test runs.
 */
import { summarizeScalerHistory, type ScalerHistorySummary } from '../../local/scaler/scaler-history.js';
import type { ScalerSample } from '../../local/scaler/local-scaler.js';
import { withInput, type SimulationInputs } from '../calibration.js';
import { EventQueue } from '../engine/event-queue.js';
import { LocalEnvironment } from '../model/local-environment.js';
import { PipelineModel } from '../model/pipeline-model.js';
import type { Workload } from '../model/workloads.js';
import { LocalStackPlatform, type LocalStackOptions } from '../platforms/local-stack.js';
import { modelSampler, runSampled, type SimulationResult } from './simulation-result.js';

export interface LocalRunOptions extends LocalStackOptions {
  readonly workload: Workload;
  /** Rows per chunk event (`--chunk-rows`; default the app's). */
  readonly chunkRows?: number;
  readonly partitions?: number;
  /** Give up after this long (default 15 min, as scale:compare does). */
  readonly maxSeconds?: number;
  /** The uploader generates the CSV as it uploads (load test, scale:compare); the bench uploads a file it made before. */
  readonly generatedUpload?: boolean;
}

export interface LocalRunResult extends SimulationResult {
  /** The local scaler's history and its summary (autoscaled runs). */
  readonly scalerHistory: readonly ScalerSample[];
  readonly scaler: ScalerHistorySummary | undefined;
  /** First upload → last file complete. */
  readonly drainSeconds: number | undefined;
  /** First upload → every window row merged too (what the bench times). */
  readonly windowsDrainSeconds: number | undefined;
}

export function simulateLocalRun(inputs: SimulationInputs, options: LocalRunOptions): LocalRunResult {
  const chunked = options.chunkRows === undefined ? inputs : withInput(inputs, 'PIPELINE.chunkRows', options.chunkRows);
  const tuned = options.generatedUpload === false ? withInput(chunked, 'WORK_PER_ROW.generator', 0) : chunked;
  const queue = new EventQueue();
  const environment = new LocalEnvironment(queue, tuned, { backgroundCores: options.backgroundCores });
  const partitions = options.partitions ?? tuned.LOCAL_MACHINE.partitions;
  const batch = tuned.LOCAL_MACHINE.localQueueBatchSize;
  const model = new PipelineModel({
    environment,
    inputs: tuned,
    recordsPartitions: partitions,
    aggregatesPartitions: partitions,
    queueBatchSize: batch,
    queueNewBatchThreshold: Math.floor(batch / 2),
  });
  const platform = new LocalStackPlatform(environment, model, tuned, options);
  const groups = options.placement === 'shared' ? ['host'] : ['extract', 'transform', 'aggregate'];
  const sampler = modelSampler(model, groups);
  platform.start();
  model.offer(options.workload.files);
  // Like scale:compare: done when every file is complete and the scaler is back at one instance without lag.
  let windowsDoneAt: number | undefined;
  const endedAt = runSampled(model, sampler, {
    sampleSeconds: 0.25,
    maxSeconds: options.maxSeconds ?? 900,
    done: () => {
      if (!model.allComplete) return false;
      if (windowsDoneAt === undefined && model.counters.aggregatedRows >= model.counters.settledRows - 1e-6) windowsDoneAt = model.now;
      if (!options.autoscale) return windowsDoneAt !== undefined;
      const last = platform.history.at(-1);
      return windowsDoneAt !== undefined && last !== undefined && last.lag === 0 && platform.instances === 1;
    },
  });
  platform.stop();
  const firstUpload = Math.min(...options.workload.files.map((file) => file.arriveAt));
  const completed = model.files.map((file) => file.completedAt);
  const drainSeconds = completed.every((at) => at !== undefined) ? Math.max(...(completed as number[])) - firstUpload : undefined;
  return {
    label: `local ${options.placement}${options.autoscale ? `, ${options.autoscale.mode} scaler` : ''}`,
    platform: 'local',
    workload: options.workload,
    files: model.files,
    samples: sampler.samples,
    workers: model.workers,
    scalingEvents: [],
    groups,
    limits: { partitions, maxInstances: Object.fromEntries(groups.map((group) => [group, options.autoscale?.maxInstances ?? 1])) },
    endedAt,
    costs: {},
    notes: [],
    scalerHistory: platform.history,
    scaler: options.autoscale ? summarizeScalerHistory(platform.history) : undefined,
    drainSeconds,
    windowsDrainSeconds: windowsDoneAt === undefined ? undefined : windowsDoneAt - firstUpload,
  };
}
