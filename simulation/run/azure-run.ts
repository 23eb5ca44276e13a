/**
 * A run on Azure: the workload through the pipeline model, with every instance on cores of its own,
 * the namespace's and the database's quotas, and one of the two scaling platforms.
 */
import type { SimulationInputs } from '../calibration.js';
import { EventQueue } from '../engine/event-queue.js';
import { AzureEnvironment, type EventHubsTier } from '../model/azure-environment.js';
import { PipelineModel } from '../model/pipeline-model.js';
import type { Workload } from '../model/workloads.js';
import { FlexConsumptionPlatform, flexCores } from '../platforms/flex-consumption.js';
import { KedaOnAksPlatform } from '../platforms/keda-on-aks.js';
import { WORKER_GROUPS, activeWorkers } from '../platforms/worker-groups.js';
import { modelSampler, runSampled, type SimulationResult } from './simulation-result.js';

export const AZURE_PLATFORMS = ['flex', 'aks'] as const;
export type AzurePlatform = (typeof AZURE_PLATFORMS)[number];

export interface AzureRunOptions {
  readonly platform: AzurePlatform;
  readonly workload: Workload;
  readonly tier?: EventHubsTier;
  /** Seconds between samples (default: about 2,000 samples over the offered load, at least 1 s). */
  readonly sampleSeconds?: number;
  /** Give up this long after the offered load ends (default 6 h): a backlog that never drains. */
  readonly drainLimitSeconds?: number;
}

export function simulateAzureRun(inputs: SimulationInputs, options: AzureRunOptions): SimulationResult {
  const queue = new EventQueue();
  const memory = inputs.FLEX.instanceMemoryMb;
  const cores = options.platform === 'flex' ? flexCores(memory, inputs.FLEX.coresPer2048Mb) : inputs.AKS.podVcpus;
  const tier = options.tier ?? 'Standard';
  const environment = new AzureEnvironment(queue, inputs, { cores, tier, units: inputs.EVENT_HUBS.capacityUnits });
  const processors = Math.max(1, Math.round(cores));
  const model = new PipelineModel({
    environment,
    inputs,
    recordsPartitions: inputs.EVENT_HUBS.recordsPartitions,
    aggregatesPartitions: inputs.EVENT_HUBS.aggregatesPartitions,
    queueBatchSize: inputs.PIPELINE.queueBatchSize,
    queueNewBatchThreshold: Math.floor(inputs.PIPELINE.queueBatchSize / 2) * processors,
  });
  const groups = WORKER_GROUPS.map((group) => group.name);
  const flex =
    options.platform === 'flex'
      ? new FlexConsumptionPlatform(model, inputs, {
          instanceMemoryMb: memory,
          maximumInstanceCount: inputs.FLEX.maximumInstanceCount,
          alwaysReady: inputs.FLEX.alwaysReady,
        })
      : undefined;
  const aks =
    options.platform === 'aks'
      ? new KedaOnAksPlatform(model, inputs, { nodeMin: inputs.AKS.nodeMin, nodeMax: inputs.AKS.nodeMax })
      : undefined;
  const sampler = modelSampler(model, groups, () => (aks ? { nodes: aks.liveNodes } : {}));
  (flex ?? aks)!.start();
  model.offer(options.workload.files);

  const offered = options.workload.offeredSeconds;
  const sampleSeconds = options.sampleSeconds ?? Math.max(1, Math.round(Math.max(offered, 600) / 2000));
  const floor = options.platform === 'flex' ? inputs.FLEX.alwaysReady : inputs.AKS.kedaMinReplicas;
  // Done when every file is complete and the platform is back where it started (AKS: nodes too).
  const settled = () =>
    model.allComplete &&
    WORKER_GROUPS.every((group) => activeWorkers(model, group.name).length <= floor) &&
    model.liveWorkers().every((worker) => worker.state === 'ready') &&
    (aks === undefined || aks.liveNodes <= inputs.AKS.nodeMin);
  const endedAt = runSampled(model, sampler, {
    sampleSeconds,
    maxSeconds: offered + (options.drainLimitSeconds ?? 6 * 3600),
    done: settled,
  });
  (flex ?? aks)!.stop();

  const prices = inputs.PRICES;
  const events =
    model.counters.extractedRows / inputs.PIPELINE.chunkRows +
    model.aggregates.partitions.reduce((sum, partition) => sum + partition.lastEnqueued + 1, 0);
  const shared = {
    'Event Hubs units': (endedAt / 3600) * inputs.EVENT_HUBS.capacityUnits * prices.eventHubsUnitHour,
    'Event Hubs ingress events': (events / 1e6) * prices.eventHubsIngressPerMillion,
    'Azure SQL compute': endedAt * inputs.SQL.vCores * prices.sqlVcoreSecond,
  };
  const notes: string[] = [];
  if (!model.allComplete)
    notes.push(
      `not drained: ${model.files.filter((file) => file.completedAt === undefined).length} files still incomplete ${((endedAt - offered) / 3600).toFixed(1)} h after the load ended`,
    );
  return {
    label: options.platform === 'flex' ? 'Flex Consumption' : 'KEDA on AKS',
    platform: options.platform,
    workload: options.workload,
    files: model.files,
    samples: sampler.samples,
    workers: model.workers,
    scalingEvents: (flex ?? aks)!.events,
    groups,
    limits: {
      partitions: inputs.EVENT_HUBS.recordsPartitions,
      maxInstances: flex
        ? Object.fromEntries(groups.map((group) => [group, inputs.FLEX.maximumInstanceCount]))
        : {
            extract: inputs.AKS.extractMaxReplicas,
            transform: inputs.EVENT_HUBS.recordsPartitions,
            aggregate: inputs.EVENT_HUBS.aggregatesPartitions,
          },
    },
    endedAt,
    costs: { ...(flex ? flex.costs(endedAt) : aks!.costs(endedAt)), ...shared },
    billedSeconds: flex ? flex.billedSeconds(endedAt) : aks!.nodeSeconds(endedAt),
    notes,
  };
}
