/**
 * The local scaler's decision in one call, for either way Azure would scale the app: `functions`
 * (the Functions scale controller with the Event Hubs and Storage queue target scalers) or `keda`
 * (KEDA's `azure-eventhub` and `azure-queue` scalers driving the HPA). Pure: time, the current
 * instance count and the remembered state come in, the desired count and the next state go out.
 * The scaling simulation (simulation/) calls the same function for each platform's scale loop.
 */
import { hubUnprocessedEvents, type HubPositions } from './partition-lag.js';
import {
  FUNCTIONS_SCALING_DEFAULTS,
  INITIAL_FUNCTION_TARGET_STATE,
  combineFunctionTargets,
  functionTarget,
  functionsQueueConcurrency,
  functionsQueueTargetWorkerCount,
  type FunctionTargetState,
  type FunctionsScalingOptions,
} from './functions-target-scaling.js';
import {
  INITIAL_KEDA_HPA_STATE,
  KEDA_SCALING_DEFAULTS,
  kedaDecision,
  type KedaHpaState,
  type KedaScalingOptions,
} from './keda-hpa-scaling.js';

export * from './partition-lag.js';
export * from './functions-target-scaling.js';
export * from './keda-hpa-scaling.js';

export type ScalingMode = 'functions' | 'keda';
export const SCALING_MODES: readonly ScalingMode[] = ['functions', 'keda'];

export interface ScalingOptions {
  readonly mode: ScalingMode;
  readonly minInstances: number;
  readonly maxInstances: number;
  readonly functions: FunctionsScalingOptions;
  readonly keda: KedaScalingOptions;
}

/** Remembered between decisions: the extension's per-function throttle, or the HPA's history. */
export type ScalingState =
  | { readonly mode: 'functions'; readonly functions: Readonly<Record<string, FunctionTargetState>> }
  | { readonly mode: 'keda'; readonly keda: KedaHpaState };

export function initialScalingState(mode: ScalingMode): ScalingState {
  return mode === 'functions' ? { mode, functions: {} } : { mode, keda: INITIAL_KEDA_HPA_STATE };
}

export interface HubLag {
  /** `<hub>/<consumer group>`. */
  readonly key: string;
  readonly partitionCount: number;
  /** Unprocessed events as this mode's scaler counts them. */
  readonly unprocessedEvents: number;
  /** What this mode's scaler asks for this hub: the Functions target, or KEDA's metric. */
  readonly signal: number;
}

/** One Storage queue a trigger watches: its approximate message count (in-flight messages included). */
export interface QueueLength {
  readonly queueName: string;
  readonly length: number;
}

export interface QueueSignal {
  readonly key: string;
  readonly length: number;
  /** What this mode's scaler asks for this queue: the Functions target, or KEDA's metric. */
  readonly signal: number;
}

export interface ScalingDecision {
  readonly mode: ScalingMode;
  readonly at: number;
  readonly currentInstances: number;
  /** The count to run, within [minInstances, maxInstances]. */
  readonly desiredInstances: number;
  /** Unprocessed events over the hubs (queue messages are in `queues`). */
  readonly totalLag: number;
  readonly hubs: readonly HubLag[];
  readonly queues: readonly QueueSignal[];
  /** Functions: a lower target was held back by the 180 s rule. KEDA: the scaler is active. */
  readonly note: string;
}

export function hubKey(hub: HubPositions): string {
  return `${hub.eventHubName}/${hub.consumerGroup}`;
}

export interface ScalingOverrides {
  readonly minInstances?: number;
  readonly maxInstances?: number;
  readonly functions?: Partial<FunctionsScalingOptions>;
  readonly keda?: Partial<KedaScalingOptions>;
}

/** Options with every default filled in; `min` ≥ 1 because the first host runs in the caller's process. */
export function scalingOptions(mode: ScalingMode, overrides: ScalingOverrides = {}): ScalingOptions {
  const minInstances = overrides.minInstances ?? 1;
  if (!Number.isSafeInteger(minInstances) || minInstances < 1)
    throw new RangeError(`minInstances must be an integer ≥ 1, got ${minInstances}`);
  return platformScalingOptions(mode, { ...overrides, minInstances });
}

/** Options with every default filled in, for a platform that may scale to zero (`min` ≥ 0; default 1). */
export function platformScalingOptions(mode: ScalingMode, overrides: ScalingOverrides = {}): ScalingOptions {
  const minInstances = overrides.minInstances ?? 1;
  const maxInstances = overrides.maxInstances ?? 4;
  if (!Number.isSafeInteger(minInstances) || minInstances < 0)
    throw new RangeError(`minInstances must be an integer ≥ 0, got ${minInstances}`);
  if (!Number.isSafeInteger(maxInstances) || maxInstances < Math.max(1, minInstances))
    throw new RangeError(`maxInstances must be an integer ≥ max(1, minInstances) (${minInstances}), got ${maxInstances}`);
  return {
    mode,
    minInstances,
    maxInstances,
    functions: { ...FUNCTIONS_SCALING_DEFAULTS, ...definedOnly(overrides.functions) },
    keda: { ...KEDA_SCALING_DEFAULTS, ...definedOnly(overrides.keda) },
  };
}

/** Drops keys set to undefined, so `{ maxEventBatchSize: undefined }` keeps the default. */
function definedOnly<T extends object>(values: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(values ?? {}).filter(([, value]) => value !== undefined)) as Partial<T>;
}

export interface ScalingInput {
  readonly now: number;
  readonly currentInstances: number;
  readonly hubs: readonly HubPositions[];
  readonly queues?: readonly QueueLength[];
}

export interface ScalingStep {
  readonly decision: ScalingDecision;
  readonly state: ScalingState;
}

/** One scaling step in the mode's model: Functions' target-based scaler or KEDA's HPA. */
export function decideInstances(input: ScalingInput, state: ScalingState, options: ScalingOptions): ScalingStep {
  return options.mode === 'functions' ? decideFunctions(input, state, options) : decideKeda(input, state, options);
}

function clampInstances(count: number, options: ScalingOptions): number {
  return Math.min(Math.max(count, options.minInstances), options.maxInstances);
}

/** Functions: a target per hub and per queue, combined under the scale-out step; a lower hub target may be held. */
function decideFunctions(input: ScalingInput, state: ScalingState, options: ScalingOptions): ScalingStep {
  const { now, currentInstances } = input;
  const previous = state.mode === 'functions' ? state.functions : {};
  const next: Record<string, FunctionTargetState> = { ...previous };
  const held: string[] = [];
  const hubs = input.hubs.map((hub): HubLag => {
    const key = hubKey(hub);
    const unprocessedEvents = hubUnprocessedEvents(hub, 'functions');
    const result = functionTarget(
      { now, unprocessedEvents, partitionCount: hub.partitions.length },
      previous[key] ?? INITIAL_FUNCTION_TARGET_STATE,
      options.functions,
    );
    next[key] = result.state;
    if (result.heldBack) held.push(key);
    return { key, partitionCount: hub.partitions.length, unprocessedEvents, signal: result.target };
  });
  const concurrency = (input.queues ?? []).length > 0 ? functionsQueueConcurrency(options.functions) : 1;
  const queues = (input.queues ?? []).map((queue): QueueSignal => ({
    key: queue.queueName,
    length: queue.length,
    signal: functionsQueueTargetWorkerCount(queue.length, concurrency),
  }));
  const combined = combineFunctionTargets(
    currentInstances,
    [...hubs, ...queues].map((trigger) => trigger.signal),
    options.functions.maxScaleOutStep,
  );
  return {
    decision: decision(
      options.mode,
      now,
      currentInstances,
      clampInstances(combined, options),
      hubs,
      queues,
      held.length > 0 ? `scale-in held (${held.join(', ')})` : '',
    ),
    state: { mode: 'functions', functions: next },
  };
}

/** KEDA: one metric per hub and per queue, fed to the HPA model with its own state. */
function decideKeda(input: ScalingInput, state: ScalingState, options: ScalingOptions): ScalingStep {
  const { now, currentInstances } = input;
  const hubs = input.hubs.map((hub) => ({
    key: hubKey(hub),
    partitionCount: hub.partitions.length,
    unprocessedEvents: hubUnprocessedEvents(hub, 'keda'),
  }));
  const queueLengths = (input.queues ?? []).map((queue) => queue.length);
  const result = kedaDecision(
    {
      now,
      currentReplicas: currentInstances,
      hubs,
      queueLengths,
      minReplicaCount: options.minInstances,
      maxReplicaCount: options.maxInstances,
    },
    state.mode === 'keda' ? state.keda : INITIAL_KEDA_HPA_STATE,
    options.keda,
  );
  const queues = (input.queues ?? []).map((queue, index): QueueSignal => ({
    key: queue.queueName,
    length: queue.length,
    signal: result.metrics[hubs.length + index]!,
  }));
  return {
    decision: decision(
      options.mode,
      now,
      currentInstances,
      clampInstances(result.replicas, options),
      hubs.map((hub, index) => ({ ...hub, signal: result.metrics[index]! })),
      queues,
      result.active ? 'active' : 'inactive',
    ),
    state: { mode: 'keda', keda: result.state },
  };
}

function decision(
  mode: ScalingMode,
  at: number,
  currentInstances: number,
  desiredInstances: number,
  hubs: readonly HubLag[],
  queues: readonly QueueSignal[],
  note: string,
): ScalingDecision {
  return {
    mode,
    at,
    currentInstances,
    desiredInstances,
    totalLag: hubs.reduce((sum, hub) => sum + hub.unprocessedEvents, 0),
    hubs,
    queues,
    note,
  };
}
