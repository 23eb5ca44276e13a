/**
 * Flex Consumption: per-function scaling. For each function the scale controller decides on its own
 * trigger with the Functions target scalers (`decideInstances`, mode `functions`: the Event Hubs
 * target with its 180 s scale-in hold, the queue target, at most four instances added per decision),
 * new instances take events after a cold start, always-ready instances are there from the start,
 * and the app's maximum instance count bounds all functions together. Billing: on-demand instances
 * pay for the seconds they execute; always-ready ones pay a baseline for every second, and less
 * while executing.
 */
import { decideInstances, initialScalingState, platformScalingOptions, type ScalingState } from '../../local/scaler/scaling-formulas.js';
import { functionsTargetFromHostJson } from '../../local/scaler/pipeline-autoscaler.js';
import { APP_HOST_JSON, type SimulationInputs } from '../calibration.js';
import type { PipelineModel, SimulatedWorker } from '../model/pipeline-model.js';
import type { ScalingEvent } from '../run/simulation-result.js';
import { WORKER_GROUPS, activeWorkers, pickToStop, type WorkerGroup } from './worker-groups.js';

export interface FlexOptions {
  readonly instanceMemoryMb: number;
  readonly maximumInstanceCount: number;
  /** Always-ready instances of each function. */
  readonly alwaysReady: number;
}

/** Cores of an instance by memory size. */
export function flexCores(instanceMemoryMb: number, coresPer2048Mb: number): number {
  return (instanceMemoryMb / 2048) * coresPer2048Mb;
}

export class FlexConsumptionPlatform {
  readonly events: ScalingEvent[] = [];
  readonly #model: PipelineModel;
  readonly #inputs: SimulationInputs;
  readonly #options: FlexOptions;
  readonly #states = new Map<string, ScalingState>();
  readonly #alwaysReady = new Set<SimulatedWorker>();
  #stopped = false;

  constructor(model: PipelineModel, inputs: SimulationInputs, options: FlexOptions) {
    this.#model = model;
    this.#inputs = inputs;
    this.#options = options;
    model.claimDelaySeconds = inputs.FLEX.partitionClaimSeconds;
    model.loadBalancingSeconds = inputs.FLEX.loadBalancingSeconds;
  }

  start(): void {
    const decision = this.#inputs.FLEX.decisionSeconds;
    WORKER_GROUPS.forEach((group, index) => {
      this.#states.set(group.name, initialScalingState('functions'));
      for (let count = 0; count < this.#options.alwaysReady; count += 1) {
        const worker = this.#model.startWorker(group.name, [group.name]);
        this.#alwaysReady.add(worker);
        this.#model.markReady(worker);
      }
      // Each function's decisions run on their own phase of the controller's interval.
      this.#model.environment.queue.after((decision * index) / WORKER_GROUPS.length, () => this.#loop(group));
    });
  }

  stop(): void {
    this.#stopped = true;
  }

  #loop(group: WorkerGroup): void {
    if (this.#stopped) return;
    this.#decide(group);
    this.#model.environment.queue.after(this.#inputs.FLEX.decisionSeconds, () => this.#loop(group));
  }

  #decide(group: WorkerGroup): void {
    const model = this.#model;
    const workers = activeWorkers(model, group.name);
    const current = workers.length;
    const others = WORKER_GROUPS.filter((other) => other !== group).reduce(
      (sum, other) => sum + activeWorkers(model, other.name).length,
      0,
    );
    const room = Math.max(this.#options.alwaysReady, this.#options.maximumInstanceCount - others);
    const options = platformScalingOptions('functions', {
      minInstances: this.#options.alwaysReady,
      maxInstances: Math.max(1, room),
      functions: {
        ...functionsTargetFromHostJson(APP_HOST_JSON),
        processorCount: Math.max(1, Math.round(flexCores(this.#options.instanceMemoryMb, this.#inputs.FLEX.coresPer2048Mb))),
      },
    });
    const { decision, state } = decideInstances(
      { now: model.now * 1000, currentInstances: current, ...group.trigger(model) },
      this.#states.get(group.name)!,
      options,
    );
    this.#states.set(group.name, state);
    const desired = Math.min(decision.desiredInstances, room);
    if (desired === current) return;
    this.events.push({ at: model.now, group: group.name, from: current, to: desired });
    if (desired > current) {
      for (let count = current; count < desired; count += 1) {
        const worker = model.startWorker(group.name, [group.name]);
        model.environment.queue.after(this.#inputs.FLEX.coldStartSeconds, () => model.markReady(worker));
      }
    } else {
      const candidates = workers.filter((worker) => !this.#alwaysReady.has(worker));
      for (const worker of pickToStop(candidates, current - desired)) model.drainWorker(worker);
    }
  }

  /** USD of the run's compute: on-demand execution GB-s and executions; always-ready baseline and execution. */
  costs(now: number): Record<string, number> {
    const prices = this.#inputs.PRICES;
    const gb = this.#options.instanceMemoryMb / 1024;
    let onDemand = 0;
    let baseline = 0;
    let alwaysReadyExecution = 0;
    let executions = 0;
    for (const worker of this.#model.workers) {
      executions += worker.executions;
      if (this.#alwaysReady.has(worker)) {
        baseline += worker.aliveUntil(now) * gb * prices.flexAlwaysReadyBaselineGbSecond;
        alwaysReadyExecution += worker.executingUntil(now) * gb * prices.flexAlwaysReadyExecutionGbSecond;
      } else onDemand += worker.executingUntil(now) * gb * prices.flexOnDemandGbSecond;
    }
    return {
      'Flex on-demand execution': onDemand,
      'Flex executions': (executions / 1e6) * prices.flexExecutionsPerMillion,
      'Flex always-ready baseline': baseline,
      'Flex always-ready execution': alwaysReadyExecution,
    };
  }

  /** Instance-seconds billed: seconds on-demand instances executed, plus every second of always-ready ones. */
  billedSeconds(now: number): number {
    return this.#model.workers.reduce(
      (sum, worker) => sum + (this.#alwaysReady.has(worker) ? worker.aliveUntil(now) : worker.executingUntil(now)),
      0,
    );
  }
}
