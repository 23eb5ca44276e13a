/**
 * The local scaler: every poll it reads the lag of the pipeline's hubs, decides the instance count
 * with the chosen mode's formulas (`scaling-formulas.ts`) and moves the instance pool there. Each
 * decision is one log line and one history sample (time, lag, instances) for load-test reports.
 */
import type { HubLagSource } from './event-hub-lag.js';
import { sleep } from '../host/listeners/trigger-listener.js';
import type { InstancePool } from './instance-pool.js';
import type { FunctionsScalingOptions } from './functions-target-scaling.js';
import type { KedaScalingOptions } from './keda-hpa-scaling.js';
import {
  decideInstances,
  initialScalingState,
  scalingOptions,
  type ScalingDecision,
  type ScalingMode,
  type ScalingOptions,
  type ScalingState,
} from './scaling-formulas.js';

export interface LocalScalerOptions {
  readonly mode: ScalingMode;
  /** At least 1: the first host runs in the caller's process (default 1). */
  readonly minInstances?: number;
  /** Default 4. */
  readonly maxInstances?: number;
  /** How often lag is read and a decision made (default 5000 ms). */
  readonly pollMs?: number;
  readonly lagSource: HubLagSource;
  readonly pool: InstancePool;
  /** Overrides of the Functions or KEDA/HPA rules (e.g. short hold times in tests). */
  readonly functions?: Partial<FunctionsScalingOptions>;
  readonly keda?: Partial<KedaScalingOptions>;
  /** Injected clock (default Date.now). */
  readonly now?: () => number;
  readonly log?: (line: string) => void;
}

/**
 * One poll, or one change of the running count between polls, for charts: when, how much lag the
 * mode's scaler last counted, what it asked for, how many instances were running.
 */
export interface ScalerSample {
  /** A poll's decision, or a move that changed the running count. */
  readonly cause: 'poll' | 'move';
  readonly at: number;
  readonly lag: number;
  readonly desired: number;
  readonly instances: number;
}

export const DEFAULT_SCALER_POLL_MS = 5000;

export class LocalScaler {
  readonly history: ScalerSample[] = [];
  readonly options: ScalingOptions;
  readonly #lagSource: HubLagSource;
  readonly #pool: InstancePool;
  readonly #pollMs: number;
  readonly #now: () => number;
  readonly #log: (line: string) => void;
  #state: ScalingState;
  #lastLine = '';
  /** The count a running move goes to; undefined when the pool is not moving. */
  #requested: number | undefined;
  #moving: Promise<void> | undefined;
  #loop: Promise<void> | undefined;
  #abort: AbortController | undefined;

  constructor(options: LocalScalerOptions) {
    this.options = scalingOptions(options.mode, options);
    this.#lagSource = options.lagSource;
    this.#pool = options.pool;
    this.#pollMs = options.pollMs ?? DEFAULT_SCALER_POLL_MS;
    this.#now = options.now ?? Date.now;
    this.#log = options.log ?? ((line) => console.log(line));
    this.#state = initialScalingState(options.mode);
  }

  /**
   * One poll: read lag, decide, and start moving the pool. Like the HPA, which counts the replicas
   * it asked for rather than the ready ones, the formulas see the count being moved to while a move
   * is under way, and polling goes on; a newer request is carried out when the running move ends.
   * Throws when the lag cannot be read.
   */
  async tick(signal?: AbortSignal): Promise<ScalingDecision> {
    const hubs = await this.#lagSource.read(signal);
    const from = this.#requested ?? this.#pool.count();
    const { decision, state } = decideInstances({ now: this.#now(), currentInstances: from, hubs }, this.#state, this.options);
    this.#state = state;
    const to = decision.desiredInstances;
    if (to !== from) {
      this.#requested = to;
      if (this.#moving === undefined) this.#converge();
    }
    this.history.push({
      cause: 'poll',
      at: decision.at,
      lag: decision.totalLag,
      desired: decision.desiredInstances,
      instances: this.#pool.count(),
    });
    this.#logDecision(decision, from, to);
    return decision;
  }

  /**
   * Moves the pool, one move at a time, until it runs the last requested count. Each move that
   * changes the count is a history sample: instances that come up and are asked to stop again
   * before the next poll still ran, and would otherwise be missing from the history.
   */
  #converge(): void {
    const moving = (async () => {
      while (this.#requested !== undefined && this.#requested !== this.#pool.count()) {
        const target = this.#requested;
        try {
          await this.#pool.scaleTo(target);
        } catch (error) {
          // The next poll decides again from the count that really runs.
          this.#log(`[scaler] scaling to ${target} instances failed, ${this.#pool.count()} run: ${(error as Error).message}`);
          return;
        } finally {
          this.#recordMove();
        }
      }
    })().finally(() => {
      // A promise reaction: always after `#moving` below is set.
      this.#requested = undefined;
      this.#moving = undefined;
    });
    this.#moving = moving;
  }

  #recordMove(): void {
    const instances = this.#pool.count();
    const last = this.history.at(-1);
    if (last === undefined || last.instances === instances) return;
    // Lag and desired count as the last poll saw them.
    this.history.push({ cause: 'move', at: this.#now(), lag: last.lag, desired: last.desired, instances });
  }

  /** Resolves when no instance is being started or stopped. */
  async settled(): Promise<void> {
    while (this.#moving) await this.#moving;
  }

  /** Polls until `stop()`; a failed poll is logged and retried at the next interval. */
  start(): void {
    if (this.#loop) return;
    const abort = new AbortController();
    this.#abort = abort;
    this.#loop = (async () => {
      while (!abort.signal.aborted) {
        await this.tick(abort.signal).catch((error: unknown) => {
          if (!abort.signal.aborted) this.#log(`[scaler] poll failed, retrying in ${this.#pollMs} ms: ${(error as Error).message}`);
        });
        await sleep(this.#pollMs, abort.signal);
      }
    })();
  }

  /** Stops polling and waits for a running poll and move to finish; instances stay as they are. */
  async stop(): Promise<void> {
    this.#abort?.abort();
    await this.#loop;
    this.#loop = undefined;
    await this.settled();
  }

  #logDecision(decision: ScalingDecision, from: number, to: number): void {
    const perHub = decision.hubs.map((hub) => `${hub.key} ${hub.unprocessedEvents}`).join(', ');
    const line = `[scaler] ${decision.mode}: lag ${decision.totalLag} (${perHub}) → desired ${decision.desiredInstances}, instances ${from}→${to}${decision.note ? `; ${decision.note}` : ''}`;
    // Repeated identical idle lines say nothing new.
    if (line !== this.#lastLine) this.#log(line);
    this.#lastLine = line;
  }
}
