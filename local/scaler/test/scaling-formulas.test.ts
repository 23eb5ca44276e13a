/**
 * Worked examples taken from the sources the formulas follow: the Event Hubs extension's own test
 * cases (EventHubsTargetScalerTests.cs), KEDA's (azure_eventhub_scaler_test.go), the Kubernetes HPA
 * documentation's policy examples, and hand-derived sequences from the rules quoted in each test.
 */
import { describe, expect, it } from 'vitest';
import {
  FUNCTIONS_SCALING_DEFAULTS,
  INITIAL_FUNCTION_TARGET_STATE,
  INITIAL_KEDA_HPA_STATE,
  KEDA_SCALING_DEFAULTS,
  combineFunctionTargets,
  decideInstances,
  functionTarget,
  functionsConcurrency,
  functionsQueueConcurrency,
  functionsQueueTargetWorkerCount,
  functionsTargetWorkerCount,
  functionsUnprocessedEvents,
  hpaAverageValueReplicas,
  hpaNormalize,
  hpaScaleDownLimit,
  hpaScaleUpLimit,
  initialScalingState,
  kedaDecision,
  kedaEventHubMetric,
  kedaQueueTrigger,
  kedaUnprocessedEvents,
  platformScalingOptions,
  scalingOptions,
  validWorkerCounts,
  type HubPositions,
  type PartitionPosition,
} from '../scaling-formulas.js';

const partition = (fields: Partial<PartitionPosition>): PartitionPosition => ({
  partitionId: '0',
  beginningSequenceNumber: 0,
  lastEnqueuedSequenceNumber: -1,
  isEmpty: false,
  checkpointSequenceNumber: undefined,
  ...fields,
});

describe('unprocessed events per partition', () => {
  it('counts last enqueued minus checkpoint for both scalers', () => {
    const position = partition({ lastEnqueuedSequenceNumber: 149, checkpointSequenceNumber: 99 });
    expect(functionsUnprocessedEvents(position)).toBe(50);
    expect(kedaUnprocessedEvents(position)).toBe(50);
  });

  it('counts from the beginning without a checkpoint', () => {
    // KEDA test: LastSequenceNumber 1, Beginning 0, no checkpoint → 2 messages.
    const two = partition({ beginningSequenceNumber: 0, lastEnqueuedSequenceNumber: 1 });
    expect(kedaUnprocessedEvents(two)).toBe(2);
    expect(functionsUnprocessedEvents(two)).toBe(2);
    const retained = partition({ beginningSequenceNumber: 40, lastEnqueuedSequenceNumber: 59 });
    expect(functionsUnprocessedEvents(retained)).toBe(20);
    expect(kedaUnprocessedEvents(retained)).toBe(20);
  });

  it('keeps the two sources apart on a lone event at a non-zero sequence number', () => {
    // Extension: no checkpoint and last == beginning → 1. KEDA: begin == last != 0 → 0.
    const lone = partition({ beginningSequenceNumber: 7, lastEnqueuedSequenceNumber: 7 });
    expect(functionsUnprocessedEvents(lone)).toBe(1);
    expect(kedaUnprocessedEvents(lone)).toBe(0);
    const first = partition({ beginningSequenceNumber: 0, lastEnqueuedSequenceNumber: 0 });
    expect(functionsUnprocessedEvents(first)).toBe(1);
    expect(kedaUnprocessedEvents(first)).toBe(1);
  });

  it('counts nothing for an empty partition, a caught-up checkpoint or a stale read', () => {
    for (const position of [
      partition({ lastEnqueuedSequenceNumber: -1, beginningSequenceNumber: -1 }),
      partition({ lastEnqueuedSequenceNumber: 20, checkpointSequenceNumber: 20 }),
      partition({ lastEnqueuedSequenceNumber: 20, checkpointSequenceNumber: 25 }),
    ]) {
      expect(functionsUnprocessedEvents(position)).toBe(0);
      expect(kedaUnprocessedEvents(position)).toBe(0);
    }
  });
});

describe('Functions target-based scaling (Event Hubs extension)', () => {
  it('lists the worker counts that share the partitions evenly', () => {
    expect(validWorkerCounts(10)).toEqual([0, 1, 2, 3, 4, 5, 10]);
    expect(validWorkerCounts(1)).toEqual([0, 1]);
    expect(validWorkerCounts(5)).toEqual([0, 1, 2, 3, 5]);
    expect(validWorkerCounts(20)).toEqual([0, 1, 2, 3, 4, 5, 7, 10, 20]);
    expect(validWorkerCounts(32)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 11, 16, 32]);
  });

  it('divides the backlog by the concurrency and raises it to the next valid count, at most P', () => {
    // Extension cases with concurrency 10 and 10 partitions.
    const cases: [number, number][] = [
      [10, 1],
      [20, 2],
      [30, 3],
      [60, 10],
      [70, 10],
      [150, 10],
    ];
    for (const [events, expected] of cases) expect(functionsTargetWorkerCount(events, 10, 10)).toBe(expected);
    expect(functionsTargetWorkerCount(0, 4, 100)).toBe(0);
    expect(functionsTargetWorkerCount(250, 4, 100)).toBe(4); // 3 is not a valid count for 4 partitions
  });

  it('takes the threshold as concurrency when set, else the batch size', () => {
    expect(functionsConcurrency({ maxEventBatchSize: 20, targetUnprocessedEventThreshold: 30 })).toBe(30);
    expect(functionsConcurrency({ maxEventBatchSize: 20 })).toBe(20);
    expect(functionsConcurrency({ maxEventBatchSize: FUNCTIONS_SCALING_DEFAULTS.maxEventBatchSize })).toBe(100);
  });

  it('holds a lower target for 180 s after the last scale-out', () => {
    const options = { ...FUNCTIONS_SCALING_DEFAULTS, maxEventBatchSize: 10 };
    // Extension cases: previous 10, new 9 → held at 100 s and 179 s, allowed at 180 s and 181 s.
    const previous = { lastTarget: 10, lastScaleOutAt: 0 };
    // 90 events / 10 = 9 is raised to 10 on 10 partitions (no change); 40 events → 4 is a real scale-in.
    const at = (seconds: number) => functionTarget({ now: seconds * 1000, unprocessedEvents: 90, partitionCount: 10 }, previous, options);
    const lower = (seconds: number) =>
      functionTarget({ now: seconds * 1000, unprocessedEvents: 40, partitionCount: 10 }, previous, options);
    expect(at(100).target).toBe(10);
    expect(lower(100)).toMatchObject({ target: 10, heldBack: true });
    expect(lower(179)).toMatchObject({ target: 10, heldBack: true });
    expect(lower(180)).toMatchObject({ target: 4, heldBack: false });
    expect(lower(181).target).toBe(4);
  });

  it('remembers when its target last went up', () => {
    const options = { ...FUNCTIONS_SCALING_DEFAULTS, maxEventBatchSize: 10 };
    const first = functionTarget({ now: 5_000, unprocessedEvents: 30, partitionCount: 4 }, INITIAL_FUNCTION_TARGET_STATE, options);
    expect(first.state).toEqual({ lastTarget: 4, lastScaleOutAt: 5_000 });
    const same = functionTarget({ now: 9_000, unprocessedEvents: 35, partitionCount: 4 }, first.state, options);
    expect(same.state).toEqual({ lastTarget: 4, lastScaleOutAt: 5_000 });
  });

  it('adds at most four instances per decision and sums the increases of several functions', () => {
    expect(combineFunctionTargets(1, [32], 4)).toBe(5);
    expect(combineFunctionTargets(2, [4, 3], 4)).toBe(5); // +2 and +1
    expect(combineFunctionTargets(2, [4, 1], 4)).toBe(4); // a scale-out request overrides a scale-in one
    expect(combineFunctionTargets(6, [2, 4], 4)).toBe(4); // only scale-in: the largest target
    expect(combineFunctionTargets(3, [], 4)).toBe(3);
  });
});

describe('KEDA azure-eventhub metric and the HPA', () => {
  it('caps the metric at P × threshold once lag / threshold (integer) exceeds P', () => {
    // KEDA cases: 100 events, 2 partitions, threshold 10 → 20; 20 partitions → 100.
    expect(kedaEventHubMetric(100, 2, 10)).toBe(20);
    expect(kedaEventHubMetric(100, 20, 10)).toBe(100);
    // Integer division: 300 / 64 = 4, not above 4 partitions, so the full lag stays (→ 5 replicas before maxReplicas).
    expect(kedaEventHubMetric(300, 4, 64)).toBe(300);
    expect(kedaEventHubMetric(320, 4, 64)).toBe(256);
  });

  it('proposes ceil(metric / target) outside the 10 % tolerance and keeps the count inside it', () => {
    expect(hpaAverageValueReplicas(300, 64, 1, 0.1)).toBe(5);
    expect(hpaAverageValueReplicas(200, 64, 3, 0.1)).toBe(3); // 200 / 192 = 1.04: within tolerance
    expect(hpaAverageValueReplicas(220, 64, 3, 0.1)).toBe(4); // 220 / 192 = 1.15
    expect(hpaAverageValueReplicas(0, 64, 3, 0.1)).toBe(0);
  });

  it('limits scale-up to max(4 pods, 100 %) per 15 s by default', () => {
    const rules = KEDA_SCALING_DEFAULTS.scaleUp;
    // Kubernetes docs: with these defaults 1 → 5, 10 → 20.
    expect(hpaScaleUpLimit(1, [], 0, rules)).toBe(5);
    expect(hpaScaleUpLimit(10, [], 0, rules)).toBe(20);
    // 2 → 6 at t=0; at t=10 s the period started at 2, so still at most 6; at t=15 s from 6: 12.
    const events = [{ at: 0, change: 4 }];
    expect(hpaScaleUpLimit(6, events, 10_000, rules)).toBe(6);
    expect(hpaScaleUpLimit(6, events, 15_000, rules)).toBe(12);
  });

  it('lets a scale-down policy pick the biggest change with selectPolicy Max', () => {
    // Kubernetes docs example: Pods 4 and Percent 10 per 60 s from 80 replicas → 8 may go (72).
    const rules = {
      stabilizationWindowMs: 0,
      selectPolicy: 'Max' as const,
      policies: [
        { type: 'Pods' as const, value: 4, periodMs: 60_000 },
        { type: 'Percent' as const, value: 10, periodMs: 60_000 },
      ],
    };
    expect(hpaScaleDownLimit(80, [], 0, rules)).toBe(72);
    expect(hpaScaleDownLimit(80, [], 0, { ...rules, selectPolicy: 'Min' })).toBe(76);
    expect(hpaScaleDownLimit(4, [], 0, KEDA_SCALING_DEFAULTS.scaleDown)).toBe(0);
  });

  it('keeps the highest recommendation of the scale-down window', () => {
    const options = { ...KEDA_SCALING_DEFAULTS, scaleDown: { ...KEDA_SCALING_DEFAULTS.scaleDown, stabilizationWindowMs: 60_000 } };
    const state = {
      ...INITIAL_KEDA_HPA_STATE,
      recommendations: [
        { at: 0, replicas: 4 },
        { at: 30_000, replicas: 2 },
      ],
    };
    const input = { currentReplicas: 4, proposal: 1, minReplicas: 1, maxReplicas: 10 };
    expect(hpaNormalize({ ...input, now: 45_000 }, state, options).replicas).toBe(4);
    expect(hpaNormalize({ ...input, now: 75_000 }, state, options).replicas).toBe(2); // t=0 left the window
    expect(hpaNormalize({ ...input, now: 95_000 }, state, options).replicas).toBe(1);
  });

  it('moves 0 ↔ 1 itself, by activity and cooldown, and leaves 1 ↔ N to the HPA', () => {
    const hubs = (lag: number) => [{ unprocessedEvents: lag, partitionCount: 4 }];
    const base = { minReplicaCount: 0, maxReplicaCount: 4 };
    const wake = kedaDecision({ ...base, now: 0, currentReplicas: 0, hubs: hubs(500) }, INITIAL_KEDA_HPA_STATE, KEDA_SCALING_DEFAULTS);
    expect(wake).toMatchObject({ replicas: 1, active: true });
    const out = kedaDecision({ ...base, now: 15_000, currentReplicas: 1, hubs: hubs(500) }, wake.state, KEDA_SCALING_DEFAULTS);
    expect(out.replicas).toBe(4); // metric 256 → 4, within max(4 pods, 100 %) and maxReplicas
    const idle = kedaDecision({ ...base, now: 200_000, currentReplicas: 4, hubs: hubs(0) }, out.state, KEDA_SCALING_DEFAULTS);
    expect(idle).toMatchObject({ replicas: 4, active: false }); // the 300 s window still holds 4
    const cooled = kedaDecision({ ...base, now: 315_000, currentReplicas: 4, hubs: hubs(0) }, idle.state, KEDA_SCALING_DEFAULTS);
    expect(cooled.replicas).toBe(0); // inactive for the 300 s cooldown since t=15 s
  });
});

describe('Storage queue triggers', () => {
  it('functions: ceil(messages / (batchSize + newBatchThreshold)), the threshold defaulting to half the batch per processor', () => {
    // QueuesOptions: batchSize 16, newBatchThreshold = 16 / 2 × processors; QueueTargetScaler divides by their sum.
    expect(functionsQueueConcurrency(FUNCTIONS_SCALING_DEFAULTS)).toBe(24);
    expect(functionsQueueConcurrency({ ...FUNCTIONS_SCALING_DEFAULTS, processorCount: 2 })).toBe(32);
    expect(functionsQueueConcurrency({ ...FUNCTIONS_SCALING_DEFAULTS, queueBatchSize: 4, queueNewBatchThreshold: 0 })).toBe(4);
    expect([0, 1, 24, 25, 100].map((length) => functionsQueueTargetWorkerCount(length, 24))).toEqual([0, 1, 1, 2, 5]);
  });

  it('keda: the message count against queueLength, active above activationQueueLength', () => {
    const options = { ...KEDA_SCALING_DEFAULTS, queueLength: 4 };
    expect(kedaQueueTrigger(10, options)).toEqual({ metric: 10, targetPerReplica: 4, active: true });
    expect(kedaQueueTrigger(0, options).active).toBe(false);
    const base = { minReplicaCount: 0, maxReplicaCount: 10, hubs: [] };
    const wake = kedaDecision({ ...base, now: 0, currentReplicas: 0, queueLengths: [10] }, INITIAL_KEDA_HPA_STATE, options);
    expect(wake.replicas).toBe(1);
    const out = kedaDecision({ ...base, now: 15_000, currentReplicas: 1, queueLengths: [10] }, wake.state, options);
    expect(out).toMatchObject({ replicas: 3, metrics: [10] }); // ceil(10 / 4)
  });

  it('decides on queues beside hubs, and lets a platform scale to zero', () => {
    const functions = platformScalingOptions('functions', { minInstances: 0, maxInstances: 10 });
    const queued = decideInstances(
      { now: 0, currentInstances: 0, hubs: [], queues: [{ queueName: 'landing-events', length: 50 }] },
      initialScalingState('functions'),
      functions,
    );
    expect(queued.decision).toMatchObject({ desiredInstances: 3, queues: [{ key: 'landing-events', length: 50, signal: 3 }] });
    const empty = decideInstances(
      { now: 1_000, currentInstances: 3, hubs: [], queues: [{ queueName: 'landing-events', length: 0 }] },
      queued.state,
      functions,
    );
    expect(empty.decision.desiredInstances).toBe(0); // the queue scaler has no scale-in hold
    const keda = platformScalingOptions('keda', { minInstances: 0, maxInstances: 10, keda: { queueLength: 4 } });
    const woken = decideInstances(
      { now: 0, currentInstances: 0, hubs: [], queues: [{ queueName: 'landing-events', length: 9 }] },
      initialScalingState('keda'),
      keda,
    );
    expect(woken.decision).toMatchObject({ desiredInstances: 1, note: 'active', queues: [{ signal: 9 }] });
  });
});

describe('one decision for either mode', () => {
  const hub = (eventHubName: string, lags: number[]): HubPositions => ({
    eventHubName,
    consumerGroup: 'group',
    partitions: lags.map((lag, index) =>
      partition({
        partitionId: String(index),
        beginningSequenceNumber: 0,
        lastEnqueuedSequenceNumber: 999,
        checkpointSequenceNumber: 999 - lag,
      }),
    ),
  });

  it('functions: targets per hub, combined, clamped to the configured maximum', () => {
    const options = scalingOptions('functions', { minInstances: 1, maxInstances: 3 });
    const { decision, state } = decideInstances(
      { now: 0, currentInstances: 1, hubs: [hub('records', [100, 100, 50, 0]), hub('aggregates', [0, 0, 0, 0])] },
      initialScalingState('functions'),
      options,
    );
    // 250 events / 100 = 3 → 4 on 4 partitions; aggregates 0; +3 → 4, clamped to 3.
    expect(decision).toMatchObject({ desiredInstances: 3, totalLag: 250 });
    expect(decision.hubs.map((entry) => entry.signal)).toEqual([4, 0]);
    const drained = decideInstances(
      { now: 10_000, currentInstances: 3, hubs: [hub('records', [0, 0, 0, 0]), hub('aggregates', [0, 0, 0, 0])] },
      state,
      options,
    );
    expect(drained.decision).toMatchObject({ desiredInstances: 3, note: 'scale-in held (records/group)' });
    const later = decideInstances(
      { now: 180_000, currentInstances: 3, hubs: [hub('records', [0, 0, 0, 0]), hub('aggregates', [0, 0, 0, 0])] },
      drained.state,
      options,
    );
    expect(later.decision.desiredInstances).toBe(1);
  });

  it('keda: the highest proposal over the hubs, minimum one instance', () => {
    const options = scalingOptions('keda', { maxInstances: 8 });
    const { decision } = decideInstances(
      { now: 0, currentInstances: 1, hubs: [hub('records', [30, 30, 30, 30]), hub('aggregates', [100, 100, 100, 100])] },
      initialScalingState('keda'),
      options,
    );
    // records 120 → 2; aggregates 400: 400/64 = 6 > 4 → 256 → 4; up limit from 1 is 5.
    expect(decision).toMatchObject({ desiredInstances: 4, note: 'active' });
    expect(decision.hubs.map((entry) => entry.signal)).toEqual([120, 256]);
    const idle = decideInstances(
      { now: 0, currentInstances: 1, hubs: [hub('records', [0, 0, 0, 0])] },
      initialScalingState('keda'),
      options,
    );
    expect(idle.decision).toMatchObject({ desiredInstances: 1, note: 'inactive' });
  });

  it('refuses a minimum below one (the first host runs in this process)', () => {
    expect(() => scalingOptions('keda', { minInstances: 0 })).toThrow(RangeError);
    expect(() => scalingOptions('keda', { minInstances: 2, maxInstances: 1 })).toThrow(RangeError);
    expect(platformScalingOptions('keda', { minInstances: 0 }).minInstances).toBe(0);
    expect(() => platformScalingOptions('keda', { minInstances: -1 })).toThrow(RangeError);
  });
});
