/**
 * The local scaler's decision in one call, for either way Azure would scale the app: `functions`
 * (the Functions scale controller with the Event Hubs target scaler) or `keda` (KEDA's
 * `azure-eventhub` scaler driving the HPA). Pure: time, the current instance count and the
 * remembered state come in, the desired count and the next state go out.
 */
import { hubUnprocessedEvents, type HubPositions } from './partition-lag.js';
import {
  FUNCTIONS_SCALING_DEFAULTS,
  INITIAL_FUNCTION_TARGET_STATE,
  combineFunctionTargets,
  functionTarget,
  type FunctionTargetState,
  type FunctionsScalingOptions,
} from './functions-target-scaling.js';
import { INITIAL_KEDA_HPA_STATE, KEDA_SCALING_DEFAULTS, kedaDecision, type KedaHpaState, type KedaScalingOptions } from './keda-hpa-scaling.js';

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

export interface ScalingDecision {
  readonly mode: ScalingMode;
  readonly at: number;
  readonly currentInstances: number;
  /** The count to run, within [minInstances, maxInstances]. */
  readonly desiredInstances: number;
  readonly totalLag: number;
  readonly hubs: readonly HubLag[];
  /** Functions: a lower target was held back by the 180 s rule. KEDA: the scaler is active. */
  readonly note: string;
}

export function hubKey(hub: HubPositions): string {
  return `${hub.eventHubName}/${hub.consumerGroup}`;
}

/** Options with every default filled in; `min` ≥ 1 because the first host runs in the caller's process. */
export function scalingOptions(
  mode: ScalingMode,
  overrides: { minInstances?: number; maxInstances?: number; functions?: Partial<FunctionsScalingOptions>; keda?: Partial<KedaScalingOptions> } = {},
): ScalingOptions {
  const minInstances = overrides.minInstances ?? 1;
  const maxInstances = overrides.maxInstances ?? 4;
  if (!Number.isSafeInteger(minInstances) || minInstances < 1) throw new RangeError(`minInstances must be an integer ≥ 1, got ${minInstances}`);
  if (!Number.isSafeInteger(maxInstances) || maxInstances < minInstances) throw new RangeError(`maxInstances must be an integer ≥ minInstances (${minInstances}), got ${maxInstances}`);
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

export function decideInstances(
  input: { now: number; currentInstances: number; hubs: readonly HubPositions[] },
  state: ScalingState,
  options: ScalingOptions,
): { decision: ScalingDecision; state: ScalingState } {
  const { now, currentInstances } = input;
  const clamp = (count: number) => Math.min(Math.max(count, options.minInstances), options.maxInstances);
  if (options.mode === 'functions') {
    const previous = state.mode === 'functions' ? state.functions : {};
    const next: Record<string, FunctionTargetState> = { ...previous };
    const held: string[] = [];
    const hubs = input.hubs.map((hub): HubLag => {
      const key = hubKey(hub);
      const unprocessedEvents = hubUnprocessedEvents(hub, 'functions');
      const result = functionTarget({ now, unprocessedEvents, partitionCount: hub.partitions.length }, previous[key] ?? INITIAL_FUNCTION_TARGET_STATE, options.functions);
      next[key] = result.state;
      if (result.heldBack) held.push(key);
      return { key, partitionCount: hub.partitions.length, unprocessedEvents, signal: result.target };
    });
    const combined = combineFunctionTargets(currentInstances, hubs.map((hub) => hub.signal), options.functions.maxScaleOutStep);
    return {
      decision: decision(options.mode, now, currentInstances, clamp(combined), hubs, held.length > 0 ? `scale-in held (${held.join(', ')})` : ''),
      state: { mode: 'functions', functions: next },
    };
  }
  const hubs = input.hubs.map((hub) => ({ key: hubKey(hub), partitionCount: hub.partitions.length, unprocessedEvents: hubUnprocessedEvents(hub, 'keda') }));
  const result = kedaDecision(
    { now, currentReplicas: currentInstances, hubs, minReplicaCount: options.minInstances, maxReplicaCount: options.maxInstances },
    state.mode === 'keda' ? state.keda : INITIAL_KEDA_HPA_STATE,
    options.keda,
  );
  return {
    decision: decision(options.mode, now, currentInstances, clamp(result.replicas), hubs.map((hub, index) => ({ ...hub, signal: result.metrics[index]! })), result.active ? 'active' : 'inactive'),
    state: { mode: 'keda', keda: result.state },
  };
}

function decision(mode: ScalingMode, at: number, currentInstances: number, desiredInstances: number, hubs: readonly HubLag[], note: string): ScalingDecision {
  return { mode, at, currentInstances, desiredInstances, totalLag: hubs.reduce((sum, hub) => sum + hub.unprocessedEvents, 0), hubs, note };
}
