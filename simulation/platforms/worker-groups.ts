/**
 * The three function groups both Azure platforms scale, each on its own trigger: extract on the
 * landing-events queue, transform on `records`, aggregate on `aggregates` (Flex scales each function
 * on instances of its own; the AKS stack runs one Deployment per function). What a group's scaler
 * reads comes from the simulated hub or queue, in the shape `decideInstances` takes.
 */
import type { HubPositions } from '../../local/scaler/partition-lag.js';
import type { QueueLength } from '../../local/scaler/scaling-formulas.js';
import type { FunctionName, PipelineModel, SimulatedWorker } from '../model/pipeline-model.js';

export const LANDING_QUEUE = 'landing-events';

export interface WorkerGroup {
  readonly name: FunctionName;
  /** What the group's scaler reads on a poll. */
  readonly trigger: (model: PipelineModel) => { hubs: HubPositions[]; queues: QueueLength[] };
  /** Partitions of its hub (consumers beyond them idle), or undefined for the queue. */
  readonly partitions: (model: PipelineModel) => number | undefined;
}

export const WORKER_GROUPS: readonly WorkerGroup[] = [
  {
    name: 'extract',
    trigger: (model) => ({ hubs: [], queues: [{ queueName: LANDING_QUEUE, length: model.landingQueueLength }] }),
    partitions: () => undefined,
  },
  {
    name: 'transform',
    trigger: (model) => ({ hubs: [model.records.positions()], queues: [] }),
    partitions: (model) => model.records.partitions.length,
  },
  {
    name: 'aggregate',
    trigger: (model) => ({ hubs: [model.aggregates.positions()], queues: [] }),
    partitions: (model) => model.aggregates.partitions.length,
  },
];

/** Workers of a group that count as replicas (asked for and not yet told to stop). */
export function activeWorkers(model: PipelineModel, group: string): SimulatedWorker[] {
  return model.workersOf(group).filter((worker) => worker.state === 'starting' || worker.state === 'ready');
}

/** Which workers to stop when scaling in: not yet started first, then idle ones, then the least busy, newest first. */
export function pickToStop(workers: readonly SimulatedWorker[], count: number): SimulatedWorker[] {
  const rank = (worker: SimulatedWorker) => (worker.state === 'starting' ? 0 : worker.running === 0 ? 1 : 2);
  return [...workers]
    .sort((a, b) => rank(a) - rank(b) || a.running - b.running || b.requestedAt - a.requestedAt)
    .slice(0, Math.max(0, count));
}
