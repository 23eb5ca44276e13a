/**
 * What one simulated run produced: the time series the charts draw, each file's timeline, the
 * workers that ran, and the scaling decisions. Every platform fills the same shape.
 */
import type { FileProgress, PipelineModel, SimulatedWorker } from '../model/pipeline-model.js';
import type { Workload } from '../model/workloads.js';

export interface SimulationSample {
  /** Seconds since the start. */
  readonly at: number;
  /** Unprocessed events per hub, as the Functions extension counts them. */
  readonly recordsLag: number;
  readonly aggregatesLag: number;
  /** Landing-queue messages, in flight included. */
  readonly queueLength: number;
  /** Workers taking work (ready) per group, and asked for (starting too). */
  readonly instances: Readonly<Record<string, number>>;
  readonly requested: Readonly<Record<string, number>>;
  /** AKS only: nodes in the cluster. */
  readonly nodes?: number;
  readonly extractedRows: number;
  readonly settledRows: number;
  /** Share of each shared resource's capacity used since the previous sample (sql, ingress, egress, cores). */
  readonly utilization: Readonly<Record<string, number>>;
}

/** One scaling decision of a platform's controller, for reaction times. */
export interface ScalingEvent {
  readonly at: number;
  readonly group: string;
  readonly from: number;
  readonly to: number;
}

export interface SimulationResult {
  readonly label: string;
  readonly platform: 'local' | 'flex' | 'aks';
  readonly workload: Workload;
  readonly files: readonly FileProgress[];
  readonly samples: readonly SimulationSample[];
  readonly workers: readonly SimulatedWorker[];
  readonly scalingEvents: readonly ScalingEvent[];
  /** Worker groups in the order the charts show them. */
  readonly groups: readonly string[];
  /** What bounds the workers: the records partitions and each group's most instances. */
  readonly limits: { readonly partitions: number; readonly maxInstances: Readonly<Record<string, number>> };
  /** When the run stopped (files done and scaled back, or the time limit). */
  readonly endedAt: number;
  /** Costs of the run, by item (USD), when the platform prices them. */
  readonly costs: Readonly<Record<string, number>>;
  /** Node-seconds (AKS) or instance-seconds billed (Flex). */
  readonly billedSeconds?: number;
  readonly notes: readonly string[];
}

export interface Sampler {
  readonly samples: SimulationSample[];
  take(): void;
}

/** Samples the model's state; `extra` adds platform figures (nodes). */
export function modelSampler(model: PipelineModel, groups: readonly string[], extra: () => { nodes?: number } = () => ({})): Sampler {
  const samples: SimulationSample[] = [];
  const used = new Map<string, { units: number; at: number }>();
  return {
    samples,
    take() {
      const instances: Record<string, number> = {};
      const requested: Record<string, number> = {};
      for (const group of groups) {
        const workers = model.workersOf(group);
        instances[group] = workers.filter((worker) => worker.state === 'ready').length;
        requested[group] = workers.filter((worker) => worker.state === 'ready' || worker.state === 'starting').length;
      }
      const utilization: Record<string, number> = {};
      for (const resource of model.environment.resources) {
        const units = resource.usedUnits;
        const before = used.get(resource.name);
        const seconds = before === undefined ? 0 : model.now - before.at;
        utilization[resource.name] = seconds > 0 && resource.capacity > 0 ? (units - before!.units) / (resource.capacity * seconds) : 0;
        used.set(resource.name, { units, at: model.now });
      }
      samples.push({
        at: model.now,
        recordsLag: model.records.backlog,
        aggregatesLag: model.aggregates.backlog,
        queueLength: model.landingQueueLength,
        instances,
        requested,
        ...extra(),
        extractedRows: model.counters.extractedRows,
        settledRows: model.counters.settledRows,
        utilization,
      });
    },
  };
}

/**
 * Runs the queue in sample steps until `done()` holds after a sample or `maxSeconds` passes. A run
 * that goes on longer than `maxSamples` steps keeps every other sample and doubles the step, so long
 * backlogs stay chartable; utilization then covers the longer steps.
 */
export function runSampled(
  model: PipelineModel,
  sampler: Sampler,
  options: { sampleSeconds: number; maxSeconds: number; done: () => boolean; maxSamples?: number },
): number {
  const queue = model.environment.queue;
  const maxSamples = options.maxSamples ?? 4000;
  let step = options.sampleSeconds;
  sampler.take();
  for (let at = step; at <= options.maxSeconds + 1e-9; at += step) {
    queue.runUntil(at);
    sampler.take();
    if (options.done()) return at;
    if (sampler.samples.length >= maxSamples) {
      const kept = sampler.samples.filter((_, index) => index % 2 === 0);
      sampler.samples.splice(0, sampler.samples.length, ...kept);
      step *= 2;
    }
  }
  return options.maxSeconds;
}
