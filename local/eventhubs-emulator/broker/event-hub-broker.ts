import type { NormalizedConfig, NormalizedEventHub } from '../config/emulator-config.js';
import { partitionIndexForKey } from '../core/partition-key-hash.js';
import type { EventRecord, PartitionLog } from '../storage/partition-log.js';
import { EmulatorMetrics } from './emulator-metrics.js';
import { MemoryBudget } from './memory-budget.js';
import { ReaderRegistry } from './reader-registry.js';
import { elementAt } from '../core/element-at.js';

/** Opens (or creates) the log of one partition. */
export type PartitionLogFactory = (hub: string, partitionId: string) => Promise<PartitionLog>;

/** One partition: its log, the readers per consumer group, and listeners for new events. */
export class PartitionState {
  private readonly listeners = new Set<() => void>();
  private readonly registries = new Map<string, ReaderRegistry>();
  /** Enqueued time of the last append; times never go backwards within a partition. */
  private lastTimeMs = 0;

  constructor(
    readonly hub: HubState,
    readonly id: string,
    readonly log: PartitionLog,
    private readonly clock: () => number,
  ) {
    this.lastTimeMs = log.info().lastEnqueuedTimeMs;
  }

  /** Appends events; resolves once they are durable, then wakes up the readers. */
  async append(records: readonly EventRecord[]): Promise<void> {
    this.lastTimeMs = Math.max(this.lastTimeMs, this.clock());
    await this.log.append(records, this.lastTimeMs);
    for (const listener of this.listeners) listener();
  }

  onAppend(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  readers(consumerGroup: string): ReaderRegistry {
    const key = consumerGroup.toLowerCase();
    let registry = this.registries.get(key);
    if (!registry) {
      registry = new ReaderRegistry(`${this.hub.name}/ConsumerGroups/${consumerGroup}/Partitions/${this.id}`);
      this.registries.set(key, registry);
    }
    return registry;
  }
}

export class HubState {
  readonly partitions: PartitionState[] = [];
  private nextRoundRobin = 0;
  private readonly groups: Set<string>;

  constructor(
    readonly config: NormalizedEventHub,
    readonly createdAtMs: number,
  ) {
    this.groups = new Set(config.consumerGroups.map((group) => group.toLowerCase()));
  }

  get name(): string {
    return this.config.name;
  }

  hasConsumerGroup(name: string): boolean {
    return this.groups.has(name.toLowerCase());
  }

  partition(id: string): PartitionState | undefined {
    return /^\d+$/.test(id) ? this.partitions[Number(id)] : undefined;
  }

  /** Where an event goes when the sender named no partition: by key hash, else round robin. */
  choosePartition(partitionKey: string | undefined): PartitionState {
    if (partitionKey !== undefined) return elementAt(this.partitions, partitionIndexForKey(partitionKey, this.partitions.length));
    const partition = elementAt(this.partitions, this.nextRoundRobin % this.partitions.length);
    this.nextRoundRobin = (this.nextRoundRobin + 1) % this.partitions.length;
    return partition;
  }
}

/** All hubs of the namespace. Hub names are matched case-insensitively, like the service. */
export class EventHubBroker {
  private readonly hubs = new Map<string, HubState>();
  /** Event bytes in memory, capped by `limits.maxMemoryBytes`; ingest reserves before it appends. */
  readonly memory: MemoryBudget;

  private constructor(
    readonly config: NormalizedConfig,
    readonly clock: () => number,
    readonly metrics: EmulatorMetrics,
  ) {
    this.memory = new MemoryBudget(config.limits.maxMemoryBytes, () => this.bytesHeldInMemory());
  }

  /** Bytes of the events that partitions without a data directory hold. */
  private bytesHeldInMemory(): number {
    let bytes = 0;
    for (const hub of this.hubs.values()) {
      for (const partition of hub.partitions) if (partition.log.holdsEventsInMemory) bytes += partition.log.info().retainedBytes;
    }
    return bytes;
  }

  static async open(
    config: NormalizedConfig,
    openLog: PartitionLogFactory,
    createdAt: (hub: string) => Promise<number>,
    metrics: EmulatorMetrics = new EmulatorMetrics(),
    clock: () => number = Date.now,
  ): Promise<EventHubBroker> {
    const broker = new EventHubBroker(config, clock, metrics);
    const opened: PartitionLog[] = [];
    try {
      for (const hubConfig of config.eventHubs) {
        const hub = new HubState(hubConfig, await createdAt(hubConfig.name));
        for (let index = 0; index < hubConfig.partitionCount; index++) {
          const id = String(index);
          const log = await openLog(hubConfig.name, id);
          opened.push(log);
          hub.partitions.push(new PartitionState(hub, id, log, clock));
        }
        broker.hubs.set(hubConfig.name.toLowerCase(), hub);
      }
    } catch (error) {
      // Release what was opened (file handles) before reporting the failure.
      await Promise.allSettled(opened.map((log) => log.close()));
      throw error;
    }
    return broker;
  }

  hub(name: string): HubState | undefined {
    return this.hubs.get(name.toLowerCase());
  }

  allHubs(): HubState[] {
    return [...this.hubs.values()];
  }

  /** Applies each hub's retention to each partition. */
  applyRetention(): void {
    const now = this.clock();
    for (const hub of this.hubs.values()) {
      for (const partition of hub.partitions) {
        partition.log.applyRetention(now - hub.config.retentionMs, hub.config.retentionBytesPerPartition);
      }
    }
  }

  async close(): Promise<void> {
    for (const hub of this.hubs.values()) {
      for (const partition of hub.partitions) await partition.log.close();
    }
  }
}
