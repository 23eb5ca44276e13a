/**
 * Azure Functions target-based scaling for Event Hubs triggers, as a pure decision:
 * - the extension's target (EventHubsTargetScaler.cs): ceil(unprocessed / concurrency), raised to the
 *   next worker count that divides the partitions evenly ({ceil(P/k)}), at most P; a lower target is
 *   held back while the last scale-out is under 180 s old;
 * - the Storage queue extension's target scaler (QueueTargetScaler.cs): ceil(queue length /
 *   (batchSize + newBatchThreshold)), with no partition cap and no scale-in hold;
 * - the scale controller around it (learn.microsoft.com functions-target-based-scaling): at most four
 *   instances added per decision; several functions asking to scale out add their increases, and
 *   without any scale-out request the largest of the scale-in targets wins.
 */

export interface FunctionsScalingOptions {
  /** host.json `targetUnprocessedEventThreshold`; when unset, `maxEventBatchSize` is the target. */
  readonly targetUnprocessedEventThreshold?: number;
  /** host.json `maxEventBatchSize` (extension default 100). */
  readonly maxEventBatchSize: number;
  /** Scale-in held this long after a scale-out (extension: 180 s). */
  readonly scaleInHoldMs: number;
  /** Most instances the controller adds in one decision (docs: four). */
  readonly maxScaleOutStep: number;
  /** host.json `extensions.queues.batchSize` (extension default 16). */
  readonly queueBatchSize: number;
  /** host.json `extensions.queues.newBatchThreshold`; when unset, batchSize / 2 × processors. */
  readonly queueNewBatchThreshold?: number;
  /** Processors of an instance, which the default newBatchThreshold scales with. */
  readonly processorCount: number;
}

export const FUNCTIONS_SCALING_DEFAULTS: FunctionsScalingOptions = {
  maxEventBatchSize: 100,
  scaleInHoldMs: 180_000,
  maxScaleOutStep: 4,
  queueBatchSize: 16,
  processorCount: 1,
};

/** What the extension's target scaler remembers between calls, per function. */
export interface FunctionTargetState {
  /** Its last answer (0 before the first). */
  readonly lastTarget: number;
  /** When its answer last went up; undefined before that ever happened. */
  readonly lastScaleOutAt: number | undefined;
}

export const INITIAL_FUNCTION_TARGET_STATE: FunctionTargetState = { lastTarget: 0, lastScaleOutAt: undefined };

/** The worker counts that share P partitions evenly, with 0 first: {0} ∪ {ceil(P/k) | k = 1..P}. */
export function validWorkerCounts(partitionCount: number): number[] {
  const counts = new Set<number>([0]);
  for (let divisor = 1; divisor <= partitionCount; divisor += 1) counts.add(Math.ceil(partitionCount / divisor));
  return [...counts].sort((a, b) => a - b);
}

/** Per-instance concurrency: the threshold when set (> 0), else the batch size. */
export function functionsConcurrency(
  options: Pick<FunctionsScalingOptions, 'targetUnprocessedEventThreshold' | 'maxEventBatchSize'>,
): number {
  const threshold = options.targetUnprocessedEventThreshold;
  const concurrency = threshold !== undefined && threshold > 0 ? threshold : options.maxEventBatchSize;
  if (!(concurrency >= 1)) throw new RangeError(`concurrency must be at least 1, got ${concurrency}`);
  return concurrency;
}

/** The extension's unthrottled target: ceil(events / concurrency) raised to the next valid count (or the largest). */
export function functionsTargetWorkerCount(unprocessedEvents: number, partitionCount: number, concurrency: number): number {
  const desired = Math.ceil(unprocessedEvents / concurrency);
  const valid = validWorkerCounts(partitionCount);
  return valid.find((count) => count >= desired) ?? valid[valid.length - 1]!;
}

/** A queue trigger's messages per instance: batchSize + newBatchThreshold (QueuesOptions' default threshold). */
export function functionsQueueConcurrency(
  options: Pick<FunctionsScalingOptions, 'queueBatchSize' | 'queueNewBatchThreshold' | 'processorCount'>,
): number {
  const threshold = options.queueNewBatchThreshold ?? Math.floor(options.queueBatchSize / 2) * options.processorCount;
  const concurrency = options.queueBatchSize + threshold;
  if (!(concurrency >= 1)) throw new RangeError(`queue concurrency must be at least 1, got ${concurrency}`);
  return concurrency;
}

/** The queue extension's target: ceil(messages / concurrency); messages in flight count, as the approximate count includes them. */
export function functionsQueueTargetWorkerCount(queueLength: number, concurrency: number): number {
  return Math.ceil(Math.max(0, queueLength) / concurrency);
}

export interface FunctionTargetResult {
  readonly target: number;
  /** True when a lower target was replaced by the previous one (scale-in hold). */
  readonly heldBack: boolean;
  readonly state: FunctionTargetState;
}

/** One call of the extension's target scaler, throttle included. */
export function functionTarget(
  input: { now: number; unprocessedEvents: number; partitionCount: number },
  state: FunctionTargetState,
  options: FunctionsScalingOptions,
): FunctionTargetResult {
  const computed = functionsTargetWorkerCount(input.unprocessedEvents, input.partitionCount, functionsConcurrency(options));
  const holding = state.lastScaleOutAt !== undefined && input.now - state.lastScaleOutAt < options.scaleInHoldMs;
  const heldBack = computed < state.lastTarget && holding;
  const target = heldBack ? state.lastTarget : computed;
  const lastScaleOutAt = target > state.lastTarget ? input.now : state.lastScaleOutAt;
  return { target, heldBack, state: { lastTarget: target, lastScaleOutAt } };
}

/** The scale controller's combination of several functions' targets, and its step limit. */
export function combineFunctionTargets(currentInstances: number, targets: readonly number[], maxScaleOutStep: number): number {
  const increases = targets.filter((target) => target > currentInstances).map((target) => target - currentInstances);
  if (increases.length > 0) {
    const increase = increases.reduce((sum, step) => sum + step, 0);
    return currentInstances + Math.min(increase, maxScaleOutStep);
  }
  return targets.length === 0 ? currentInstances : Math.max(...targets);
}
