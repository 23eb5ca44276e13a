/**
 * The local stack on this machine, as the calibrated commands run it: `scale:compare` and the load
 * test with `--autoscale` (shared placement: every host process runs every function, the first one
 * inside the CLI process, scaled by the local scaler), and the load test without a scaler
 * (per-function placement: one process per function beside the front process). The local scaler
 * is modelled as local/scaler/local-scaler.ts runs: a poll (which costs CPU in the front process
 * and the services), `decideInstances` over both hubs, then host processes started side by side
 * or stopped newest first, a newer request waiting for the running move.
 */
import {
  decideInstances,
  initialScalingState,
  scalingOptions,
  type ScalingMode,
  type ScalingState,
} from '../../local/scaler/scaling-formulas.js';
import { functionsTargetFromHostJson, withScaleInHold } from '../../local/scaler/pipeline-autoscaler.js';
import type { ScalerSample } from '../../local/scaler/local-scaler.js';
import { APP_HOST_JSON, type SimulationInputs } from '../calibration.js';
import { LocalEnvironment } from '../model/local-environment.js';
import { PipelineModel, type FunctionName, type SimulatedWorker } from '../model/pipeline-model.js';

export interface LocalAutoscale {
  readonly mode: ScalingMode;
  readonly maxInstances: number;
  readonly pollMs: number;
  readonly holdMs: number;
}

export interface LocalStackOptions {
  readonly placement: 'shared' | 'per-function';
  readonly autoscale?: LocalAutoscale;
  /** Other work on the machine while the run ran, in cores (measured beside the run). */
  readonly backgroundCores?: number;
}

const ALL_FUNCTIONS: readonly FunctionName[] = ['extract', 'transform', 'aggregate'];

export class LocalStackPlatform {
  readonly model: PipelineModel;
  readonly environment: LocalEnvironment;
  /** The local scaler's history, as `scaler.history` holds it (times in ms). */
  readonly history: ScalerSample[] = [];
  readonly #options: LocalStackOptions;
  readonly #inputs: SimulationInputs;
  readonly #extra: SimulatedWorker[] = [];
  #state: ScalingState | undefined;
  #requested: number | undefined;
  #moving = false;
  #stopped = false;

  constructor(environment: LocalEnvironment, model: PipelineModel, inputs: SimulationInputs, options: LocalStackOptions) {
    this.environment = environment;
    this.model = model;
    this.#inputs = inputs;
    this.#options = options;
    model.claimDelaySeconds = 0;
    model.loadBalancingSeconds = inputs.LOCAL_MACHINE.loadBalancingSeconds;
  }

  /** Starts the stack's hosts (ready at once: the calibrated runs start timing after the stack is up) and the scaler. */
  start(): void {
    const model = this.model;
    if (this.#options.placement === 'per-function') {
      for (const fn of ALL_FUNCTIONS) model.markReady(model.startWorker(fn, [fn]));
      return;
    }
    model.markReady(model.startWorker('host', ALL_FUNCTIONS, { inFrontProcess: true }));
    if (this.#options.autoscale) {
      this.#state = initialScalingState(this.#options.autoscale.mode);
      this.#poll();
    }
  }

  /** Stops polling (the run is over). */
  stop(): void {
    this.#stopped = true;
  }

  /** Host processes running: the first and the started extras, as the pool counts them. */
  get instances(): number {
    return 1 + this.#extra.length;
  }

  #scalingOptions() {
    const autoscale = withScaleInHold(
      { mode: this.#options.autoscale!.mode, max: this.#options.autoscale!.maxInstances },
      this.#options.autoscale!.holdMs,
    );
    return scalingOptions(autoscale.mode, {
      minInstances: 1,
      maxInstances: autoscale.max,
      functions: { ...functionsTargetFromHostJson(APP_HOST_JSON), ...autoscale.functions },
      keda: autoscale.keda,
    });
  }

  /** One poll: its CPU in the front process and the services, then the decision; the next poll `pollMs` after it ends. */
  #poll(): void {
    if (this.#stopped) return;
    const machine = this.#inputs.LOCAL_MACHINE;
    let waiting = 2;
    const decide = () => {
      waiting -= 1;
      if (waiting > 0) return;
      this.#decide();
      this.environment.queue.after(this.#options.autoscale!.pollMs / 1000, () => this.#poll());
    };
    this.environment.run(this.environment.front, machine.scalerPollCpuSeconds, decide);
    this.environment.run(this.environment.emulator, machine.scalerPollServiceCpuSeconds, decide);
  }

  #decide(): void {
    const from = this.#requested ?? this.instances;
    const { decision, state } = decideInstances(
      {
        now: this.environment.queue.now * 1000,
        currentInstances: from,
        hubs: [this.model.records.positions(), this.model.aggregates.positions()],
      },
      this.#state!,
      this.#scalingOptions(),
    );
    this.#state = state;
    const to = decision.desiredInstances;
    if (to !== from) {
      this.#requested = to;
      if (!this.#moving) this.#converge();
    }
    this.history.push({ cause: 'poll', at: decision.at, lag: decision.totalLag, desired: to, instances: this.instances });
  }

  /** One move at a time, until the pool runs the last requested count. */
  #converge(): void {
    if (this.#requested === undefined || this.#requested === this.instances) {
      this.#requested = undefined;
      this.#moving = false;
      return;
    }
    this.#moving = true;
    const target = this.#requested;
    const after = () => {
      const last = this.history.at(-1);
      this.history.push({
        cause: 'move',
        at: this.environment.queue.now * 1000,
        lag: last?.lag ?? 0,
        desired: last?.desired ?? target,
        instances: this.instances,
      });
      this.#converge();
    };
    if (target > this.instances) this.#startHosts(target - this.instances, after);
    else this.#stopHosts(this.instances - target, after);
  }

  /** New host processes side by side: each loads the app (CPU in its own process) and connects; counted when all are up. */
  #startHosts(count: number, done: () => void): void {
    const machine = this.#inputs.LOCAL_MACHINE;
    let waiting = count;
    const started: SimulatedWorker[] = [];
    for (let index = 0; index < count; index += 1) {
      const worker = this.model.startWorker('host', ALL_FUNCTIONS);
      this.environment.run(worker.process, machine.hostStartCpuSeconds, () =>
        this.environment.queue.after(machine.hostStartIdleSeconds, () => {
          this.model.markReady(worker);
          started.push(worker);
          waiting -= 1;
          if (waiting === 0) {
            this.#extra.push(...started);
            done();
          }
        }),
      );
    }
  }

  /** Newest first; the pool stops counting them at once and the move ends when they have exited. */
  #stopHosts(count: number, done: () => void): void {
    const stopping = this.#extra.splice(this.#extra.length - count);
    let waiting = stopping.length;
    for (const worker of stopping) {
      worker.whenStopped = () => {
        waiting -= 1;
        if (waiting === 0) done();
      };
    }
    for (const worker of stopping) this.model.drainWorker(worker);
  }
}
