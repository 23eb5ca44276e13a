/**
 * KEDA's `azure-eventhub` and `azure-queue` scalers feeding the Kubernetes HPA, as a pure decision:
 * - KEDA (pkg/scalers/azure_eventhub_scaler.go): metric = the total lag, or P × threshold once
 *   lag / threshold (integer division) exceeds P; active when the lag is above the activation
 *   threshold; (pkg/scalers/azure_queue_scaler.go): metric = the queue's approximate message count
 *   (in-flight messages included), target `queueLength`, active above `activationQueueLength`;
 *   KEDA itself only moves 0 ↔ 1 (after `cooldownPeriod` of inactivity to 0);
 * - the HPA (kubernetes pkg/controller/podautoscaler): AverageValue target → ceil(metric / threshold)
 *   unless metric / (threshold × current) is within the 10 % tolerance; several metrics → the highest
 *   proposal; stabilization windows (up: lowest recommendation in the window, down: highest); rate
 *   policies over the scale events of the last period (defaults: up max(4 pods, 100 %) per 15 s,
 *   down 100 % per 15 s after a 300 s window); then [minReplicas, maxReplicas].
 */

export interface HpaScalingPolicy {
  readonly type: 'Pods' | 'Percent';
  readonly value: number;
  readonly periodMs: number;
}

export interface HpaScalingRules {
  readonly stabilizationWindowMs: number;
  /** 'Max' picks the policy allowing the biggest change, 'Min' the smallest, 'Disabled' forbids the direction. */
  readonly selectPolicy: 'Max' | 'Min' | 'Disabled';
  readonly policies: readonly HpaScalingPolicy[];
}

export interface KedaScalingOptions {
  /** `unprocessedEventThreshold` (KEDA default 64). */
  readonly unprocessedEventThreshold: number;
  /** `activationUnprocessedEventThreshold` (default 0). */
  readonly activationUnprocessedEventThreshold: number;
  /** azure-queue `queueLength`: messages per replica (KEDA default 5). */
  readonly queueLength: number;
  /** azure-queue `activationQueueLength` (default 0). */
  readonly activationQueueLength: number;
  /** ScaledObject `cooldownPeriod`: inactive this long before 1 → 0 (default 300 s). */
  readonly cooldownPeriodMs: number;
  /** HPA `--horizontal-pod-autoscaler-tolerance` (default 0.1). */
  readonly tolerance: number;
  readonly scaleUp: HpaScalingRules;
  readonly scaleDown: HpaScalingRules;
}

/** Upstream defaults: KEDA's trigger metadata and ScaledObject, Kubernetes' autoscaling/v2 defaults.go. */
export const KEDA_SCALING_DEFAULTS: KedaScalingOptions = {
  unprocessedEventThreshold: 64,
  activationUnprocessedEventThreshold: 0,
  queueLength: 5,
  activationQueueLength: 0,
  cooldownPeriodMs: 300_000,
  tolerance: 0.1,
  scaleUp: {
    stabilizationWindowMs: 0,
    selectPolicy: 'Max',
    policies: [
      { type: 'Pods', value: 4, periodMs: 15_000 },
      { type: 'Percent', value: 100, periodMs: 15_000 },
    ],
  },
  scaleDown: { stabilizationWindowMs: 300_000, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodMs: 15_000 }] },
};

/** What the HPA and KEDA remember between syncs. */
export interface KedaHpaState {
  /** Unstabilized HPA recommendations, newest last. */
  readonly recommendations: readonly { readonly at: number; readonly replicas: number }[];
  /** Replica changes the HPA made (positive up, negative down). */
  readonly scaleEvents: readonly { readonly at: number; readonly change: number }[];
  /** Last time KEDA saw the scaler active. */
  readonly lastActiveAt: number | undefined;
}

export const INITIAL_KEDA_HPA_STATE: KedaHpaState = { recommendations: [], scaleEvents: [], lastActiveAt: undefined };

/** KEDA's metric for one hub: the lag, capped at P × threshold once lag / threshold (integer) exceeds P. */
export function kedaEventHubMetric(totalLag: number, partitionCount: number, threshold: number): number {
  return Math.trunc(totalLag / threshold) > partitionCount ? partitionCount * threshold : totalLag;
}

/** The HPA replica calculator for an External metric with an AverageValue target. */
export function hpaAverageValueReplicas(metric: number, targetPerPod: number, currentReplicas: number, tolerance: number): number {
  const usageRatio = metric / (targetPerPod * currentReplicas);
  return Math.abs(1 - usageRatio) > tolerance ? Math.ceil(metric / targetPerPod) : currentReplicas;
}

function changeInPeriod(events: KedaHpaState['scaleEvents'], now: number, periodMs: number, direction: 1 | -1): number {
  return events
    .filter((event) => event.at > now - periodMs && Math.sign(event.change) === direction)
    .reduce((sum, event) => sum + Math.abs(event.change), 0);
}

/** Highest replica count the scale-up policies allow now. */
export function hpaScaleUpLimit(currentReplicas: number, events: KedaHpaState['scaleEvents'], now: number, rules: HpaScalingRules): number {
  if (rules.selectPolicy === 'Disabled') return currentReplicas;
  const proposals = rules.policies.map((policy) => {
    const periodStart =
      currentReplicas - changeInPeriod(events, now, policy.periodMs, 1) + changeInPeriod(events, now, policy.periodMs, -1);
    return policy.type === 'Pods' ? periodStart + policy.value : Math.ceil(periodStart * (1 + policy.value / 100));
  });
  return rules.selectPolicy === 'Min' ? Math.min(...proposals) : Math.max(...proposals);
}

/** Lowest replica count the scale-down policies allow now. */
export function hpaScaleDownLimit(
  currentReplicas: number,
  events: KedaHpaState['scaleEvents'],
  now: number,
  rules: HpaScalingRules,
): number {
  if (rules.selectPolicy === 'Disabled') return currentReplicas;
  const proposals = rules.policies.map((policy) => {
    const periodStart =
      currentReplicas - changeInPeriod(events, now, policy.periodMs, 1) + changeInPeriod(events, now, policy.periodMs, -1);
    return policy.type === 'Pods' ? periodStart - policy.value : Math.trunc(periodStart * (1 - policy.value / 100));
  });
  // 'Max' means the biggest change, i.e. the lowest count.
  return rules.selectPolicy === 'Min' ? Math.max(...proposals) : Math.min(...proposals);
}

export interface HpaNormalizeInput {
  readonly now: number;
  readonly currentReplicas: number;
  /** The replica calculator's proposal (highest over the metrics). */
  readonly proposal: number;
  readonly minReplicas: number;
  readonly maxReplicas: number;
}

/** The HPA's behavior step: stabilize the proposal, then limit the rate and clamp to [min, max]. */
export function hpaNormalize(
  input: HpaNormalizeInput,
  state: KedaHpaState,
  options: KedaScalingOptions,
): { replicas: number; recommendations: KedaHpaState['recommendations'] } {
  const { now, currentReplicas, proposal } = input;
  let upRecommendation = proposal;
  let downRecommendation = proposal;
  for (const recommendation of state.recommendations) {
    if (recommendation.at > now - options.scaleUp.stabilizationWindowMs)
      upRecommendation = Math.min(upRecommendation, recommendation.replicas);
    if (recommendation.at > now - options.scaleDown.stabilizationWindowMs)
      downRecommendation = Math.max(downRecommendation, recommendation.replicas);
  }
  let stabilized = Math.min(Math.max(currentReplicas, upRecommendation), downRecommendation);
  const oldest = now - Math.max(options.scaleUp.stabilizationWindowMs, options.scaleDown.stabilizationWindowMs);
  const recommendations = [
    ...state.recommendations.filter((recommendation) => recommendation.at > oldest),
    { at: now, replicas: proposal },
  ];

  if (stabilized > currentReplicas) {
    const limit = Math.max(currentReplicas, hpaScaleUpLimit(currentReplicas, state.scaleEvents, now, options.scaleUp));
    stabilized = Math.min(stabilized, limit, input.maxReplicas);
  } else if (stabilized < currentReplicas) {
    const limit = Math.min(currentReplicas, hpaScaleDownLimit(currentReplicas, state.scaleEvents, now, options.scaleDown));
    stabilized = Math.max(stabilized, limit, input.minReplicas);
  }
  return { replicas: Math.min(Math.max(stabilized, input.minReplicas), input.maxReplicas), recommendations };
}

export interface KedaHubInput {
  readonly unprocessedEvents: number;
  readonly partitionCount: number;
}

/** One trigger of a ScaledObject as KEDA serves it to the HPA: the metric, its AverageValue target per replica, and activity. */
export interface KedaTriggerMetric {
  readonly metric: number;
  readonly targetPerReplica: number;
  readonly active: boolean;
}

/** The `azure-eventhub` trigger of one hub. */
export function kedaEventHubTrigger(hub: KedaHubInput, options: KedaScalingOptions): KedaTriggerMetric {
  const threshold = options.unprocessedEventThreshold;
  return {
    metric: kedaEventHubMetric(hub.unprocessedEvents, hub.partitionCount, threshold),
    targetPerReplica: threshold,
    active: hub.unprocessedEvents > options.activationUnprocessedEventThreshold,
  };
}

/** The `azure-queue` trigger of one queue (strategy `all`: the approximate count, in-flight messages included). */
export function kedaQueueTrigger(queueLength: number, options: KedaScalingOptions): KedaTriggerMetric {
  return { metric: queueLength, targetPerReplica: options.queueLength, active: queueLength > options.activationQueueLength };
}

export interface KedaDecision {
  readonly replicas: number;
  /** KEDA's metric per trigger, in input order (hubs, then queues). */
  readonly metrics: readonly number[];
  readonly active: boolean;
  readonly state: KedaHpaState;
}

/**
 * One sync of a ScaledObject: KEDA's activity over its triggers, KEDA's 0 ↔ 1 step, otherwise the
 * HPA with minReplicas = max(1, minReplicaCount) as KEDA creates it.
 */
export function kedaScaledObjectDecision(
  input: { now: number; currentReplicas: number; triggers: readonly KedaTriggerMetric[]; minReplicaCount: number; maxReplicaCount: number },
  state: KedaHpaState,
  options: KedaScalingOptions,
): KedaDecision {
  const { now, currentReplicas } = input;
  const metrics = input.triggers.map((trigger) => trigger.metric);
  const active = input.triggers.some((trigger) => trigger.active);
  const lastActiveAt = active ? now : state.lastActiveAt;
  const record = (replicas: number, recommendations = state.recommendations): KedaDecision => ({
    replicas,
    metrics,
    active,
    state: {
      recommendations,
      scaleEvents: [
        ...state.scaleEvents.filter((event) => event.at > now - longestPeriod(options)),
        ...(replicas !== currentReplicas ? [{ at: now, change: replicas - currentReplicas }] : []),
      ],
      lastActiveAt,
    },
  });

  if (currentReplicas === 0) return record(active ? 1 : 0);
  if (!active && input.minReplicaCount === 0 && (lastActiveAt === undefined || now - lastActiveAt >= options.cooldownPeriodMs))
    return record(0);

  const proposal = Math.max(
    0,
    ...input.triggers.map((trigger) =>
      hpaAverageValueReplicas(trigger.metric, trigger.targetPerReplica, currentReplicas, options.tolerance),
    ),
  );
  const normalized = hpaNormalize(
    { now, currentReplicas, proposal, minReplicas: Math.max(1, input.minReplicaCount), maxReplicas: input.maxReplicaCount },
    state,
    options,
  );
  return record(normalized.replicas, normalized.recommendations);
}

/** One sync of a ScaledObject with an `azure-eventhub` trigger per hub and an `azure-queue` trigger per queue length. */
export function kedaDecision(
  input: {
    now: number;
    currentReplicas: number;
    hubs: readonly KedaHubInput[];
    queueLengths?: readonly number[];
    minReplicaCount: number;
    maxReplicaCount: number;
  },
  state: KedaHpaState,
  options: KedaScalingOptions,
): KedaDecision {
  const triggers = [
    ...input.hubs.map((hub) => kedaEventHubTrigger(hub, options)),
    ...(input.queueLengths ?? []).map((length) => kedaQueueTrigger(length, options)),
  ];
  return kedaScaledObjectDecision({ ...input, triggers }, state, options);
}

function longestPeriod(options: KedaScalingOptions): number {
  return Math.max(0, ...[...options.scaleUp.policies, ...options.scaleDown.policies].map((policy) => policy.periodMs));
}
