/**
 * The controller over the real lag reader (emulator + Azurite) and an in-memory instance pool, with
 * an injected clock: a backlog scales out, draining it scales back in after the mode's hold.
 */
import { EventHubProducerClient } from '@azure/event-hubs';
import { BlobCheckpointStore } from '@azure/eventhubs-checkpointstore-blob';
import { ContainerClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type RunningAzurite } from '../../azurite/start-azurite.js';
import { startEventHubsEmulator, type RunningEventHubsEmulator } from '../../eventhubs-emulator/index.js';
import { EVENTHUB_CHECKPOINT_CONTAINER } from '../../../shared/config/app-settings.js';
import { createEventHubsLagReader, type EventHubsLagReader } from '../event-hub-lag.js';
import { HostProcessPool, type InstancePool } from '../instance-pool.js';
import { LocalScaler } from '../local-scaler.js';

/** A pool that only counts: what a platform would run, without processes. */
class CountingPool implements InstancePool {
  readonly moves: number[] = [];
  constructor(private instances = 1) {}
  count(): number {
    return this.instances;
  }
  async scaleTo(count: number): Promise<void> {
    this.moves.push(count);
    this.instances = count;
  }
}

describe('local scaler', () => {
  let azurite: RunningAzurite;
  let emulator: RunningEventHubsEmulator;
  let producer: EventHubProducerClient;
  let store: BlobCheckpointStore;
  let reader: EventHubsLagReader;

  beforeAll(async () => {
    [azurite, emulator] = await Promise.all([
      startAzurite({}),
      startEventHubsEmulator({
        config: { eventHubs: [{ name: 'work', partitionCount: 4, consumerGroups: ['functions', 'keda', 'functions-slow', 'failing'] }] },
        port: 0,
        log: () => undefined,
      }),
    ]);
    const container = new ContainerClient(azurite.connectionString, EVENTHUB_CHECKPOINT_CONTAINER);
    await container.createIfNotExists();
    store = new BlobCheckpointStore(container);
    producer = new EventHubProducerClient(emulator.connectionString, 'work');
    // 60 events in each of the 4 partitions: 240 unprocessed for a group without checkpoints.
    for (const partitionId of ['0', '1', '2', '3']) {
      const batch = await producer.createBatch({ partitionId });
      for (let index = 0; index < 60; index += 1) batch.tryAdd({ body: { index } });
      await producer.sendBatch(batch);
    }
    reader = createEventHubsLagReader({
      eventHubsConnectionString: emulator.connectionString,
      storageConnectionString: azurite.connectionString,
      hubs: ['functions', 'keda', 'functions-slow', 'failing'].map((consumerGroup) => ({ eventHubName: 'work', consumerGroup })),
    });
  });

  afterAll(async () => {
    await reader?.close();
    await producer?.close();
    await Promise.all([emulator?.close(), azurite?.close()]);
  });

  /** Checkpoints every partition of a group at its last event: the backlog is processed. */
  async function drain(consumerGroup: string): Promise<void> {
    for (const partitionId of ['0', '1', '2', '3']) {
      const { lastEnqueuedSequenceNumber } = await producer.getPartitionProperties(partitionId);
      await store.updateCheckpoint({
        fullyQualifiedNamespace: producer.fullyQualifiedNamespace,
        eventHubName: 'work',
        consumerGroup,
        partitionId,
        sequenceNumber: lastEnqueuedSequenceNumber,
        offset: '0',
      });
    }
  }

  /** A source that reads only one of the two groups, so each mode sees its own backlog. */
  const onlyGroup = (consumerGroup: string) => ({
    read: async () => (await reader.read()).filter((hub) => hub.consumerGroup === consumerGroup),
    close: async () => undefined,
  });

  it('functions mode: scales out on the backlog, holds, then scales in', async () => {
    let now = 1_000_000;
    const pool = new CountingPool();
    const lines: string[] = [];
    const scaler = new LocalScaler({
      mode: 'functions',
      maxInstances: 4,
      lagSource: onlyGroup('functions'),
      pool,
      functions: { maxEventBatchSize: 100, scaleInHoldMs: 10_000 },
      now: () => now,
      log: (line) => lines.push(line),
    });
    const first = await scaler.tick();
    // 240 / 100 → 3, raised to 4 (valid for 4 partitions); +3 from 1 is within the step of 4.
    expect(first).toMatchObject({ totalLag: 240, desiredInstances: 4 });
    expect(pool.count()).toBe(4);
    await drain('functions');
    now += 5_000;
    expect((await scaler.tick()).desiredInstances).toBe(4); // lag 0, but the scale-in hold has 5 s left
    now += 5_000;
    expect((await scaler.tick()).desiredInstances).toBe(1);
    expect(pool.moves).toEqual([4, 1]);
    expect(scaler.history.map((sample) => [sample.lag, sample.instances])).toEqual([
      [240, 4],
      [0, 4],
      [0, 1],
    ]);
    expect(lines[0]).toBe('[scaler] functions: lag 240 (work/functions 240) → desired 4, instances 1→4');
    expect(lines[1]).toContain('scale-in held');
  });

  it('keda mode: the HPA proposal, capped by the pod policy, and the scale-down window', async () => {
    let now = 2_000_000;
    const pool = new CountingPool();
    const scaler = new LocalScaler({
      mode: 'keda',
      maxInstances: 8,
      lagSource: onlyGroup('keda'),
      pool,
      keda: {
        unprocessedEventThreshold: 30,
        scaleDown: { stabilizationWindowMs: 20_000, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodMs: 15_000 }] },
      },
      now: () => now,
      log: () => undefined,
    });
    // 240 / 30 = 8 > 4 partitions → metric 120 → 4 replicas; from 1 the up policy allows max(1 + 4, 2) = 5.
    expect(await scaler.tick()).toMatchObject({ totalLag: 240, desiredInstances: 4 });
    await drain('keda');
    now += 15_000;
    expect((await scaler.tick()).desiredInstances).toBe(4); // the recommendation of 4 is still in the 20 s window
    now += 10_000;
    expect((await scaler.tick()).desiredInstances).toBe(1);
    expect(pool.moves).toEqual([4, 1]);
  });

  it('keeps polling while instances start, deciding on the count it asked for', async () => {
    let now = 3_000_000;
    let ready = 1;
    let release: (() => void) | undefined;
    const moves: number[] = [];
    // Instances that take until `release()` to start, as host processes take seconds.
    const slowPool: InstancePool = {
      count: () => ready,
      scaleTo: (count) => {
        moves.push(count);
        return new Promise<void>((resolve) => {
          release = () => {
            ready = count;
            resolve();
          };
        });
      },
    };
    const lines: string[] = [];
    const scaler = new LocalScaler({
      mode: 'functions',
      lagSource: onlyGroup('functions-slow'),
      pool: slowPool,
      functions: { scaleInHoldMs: 0 },
      now: () => now,
      log: (line) => lines.push(line),
    });
    // The group has no checkpoints: 240 events → 4 instances.
    expect((await scaler.tick()).desiredInstances).toBe(4);
    now += 1000;
    const during = await scaler.tick();
    expect(during).toMatchObject({ currentInstances: 4, desiredInstances: 4 });
    expect(moves).toEqual([4]);
    expect(scaler.history.map((sample) => sample.instances)).toEqual([1, 1]);
    // The backlog goes while the instances still start: the newer request waits for the running move.
    await drain('functions-slow');
    now += 1000;
    expect(await scaler.tick()).toMatchObject({ currentInstances: 4, desiredInstances: 1 });
    expect(moves).toEqual([4]);
    release!();
    await new Promise((resolve) => setImmediate(resolve));
    expect(moves).toEqual([4, 1]);
    // The 4 instances ran between two polls: the history has them, stamped when they were ready.
    now += 300;
    release!();
    await scaler.settled();
    expect(ready).toBe(1);
    expect(scaler.history.map(({ cause, at, lag, instances }) => [cause, at - 3_000_000, lag, instances])).toEqual([
      ['poll', 0, 240, 1],
      ['poll', 1000, 240, 1],
      ['poll', 2000, 0, 1],
      ['move', 2000, 0, 4],
      ['move', 2300, 0, 1],
    ]);
    expect(lines[0]).toContain('instances 1→4');
    expect(lines.at(-1)).toContain('instances 4→1');
  });

  it('logs a failed move and decides again from the instances that really run', async () => {
    const pool = new HostProcessPool(async (instanceNumber) => {
      if (instanceNumber === 3) throw new Error('host-3 exited with code 1 before it was ready');
      return { stop: async () => undefined };
    });
    const lines: string[] = [];
    const scaler = new LocalScaler({ mode: 'functions', lagSource: onlyGroup('failing'), pool, log: (line) => lines.push(line) });
    expect(await scaler.tick()).toMatchObject({ currentInstances: 1, desiredInstances: 4 });
    await scaler.settled();
    expect(pool.count()).toBe(3);
    expect(lines).toContain('[scaler] scaling to 4 instances failed, 3 run: host-3 exited with code 1 before it was ready');
    expect(await scaler.tick()).toMatchObject({ currentInstances: 3, desiredInstances: 4 });
    await scaler.settled();
    expect(pool.count()).toBe(4); // instance numbers move on: host-5 starts
  });

  it('polls on its own until stopped, and survives a failing read', async () => {
    let reads = 0;
    const pool = new CountingPool();
    const lines: string[] = [];
    const scaler = new LocalScaler({
      mode: 'keda',
      pollMs: 20,
      lagSource: {
        read: async () => {
          reads += 1;
          if (reads === 1) throw new Error('emulator not ready');
          return reader.read();
        },
        close: async () => undefined,
      },
      pool,
      log: (line) => lines.push(line),
    });
    scaler.start();
    const deadline = Date.now() + 10_000;
    while (scaler.history.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    await scaler.stop();
    expect(lines[0]).toContain('poll failed, retrying in 20 ms: emulator not ready');
    expect(scaler.history.length).toBeGreaterThanOrEqual(2);
    const after = scaler.history.length;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(scaler.history.length).toBe(after);
  });
});

describe('host process pool', () => {
  it('numbers new instances after the fixed ones, never reuses a number, stops the newest first', async () => {
    const events: string[] = [];
    const pool = new HostProcessPool(async (instanceNumber) => {
      events.push(`start ${instanceNumber}`);
      return { stop: async () => void events.push(`stop ${instanceNumber}`) };
    });
    expect(pool.count()).toBe(1);
    await pool.scaleTo(3);
    await pool.scaleTo(2);
    await pool.scaleTo(3);
    await pool.scaleTo(0); // never below the fixed instance
    expect(pool.count()).toBe(1);
    expect(events).toEqual(['start 2', 'start 3', 'stop 3', 'start 4', 'stop 4', 'stop 2']);
  });

  it('keeps the instances that started when another fails to start', async () => {
    const pool = new HostProcessPool(async (instanceNumber) => {
      if (instanceNumber === 3) throw new Error('host 3 exited');
      return { stop: async () => undefined };
    });
    await expect(pool.scaleTo(4)).rejects.toThrow('host 3 exited');
    expect(pool.count()).toBe(3);
  });
});
