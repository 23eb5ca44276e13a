/**
 * The emulator's configuration: which event hubs exist, with how many partitions, which consumer
 * groups and how long events are kept. `normalizeConfig` turns what a user wrote into the readonly,
 * defaulted form the broker uses.
 */

/** One event hub as a user declares it. */
export interface EventHubConfig {
  /** Hub name; matched case-insensitively, like the service. */
  name: string;
  /** 1–32 partitions, ids "0".."n-1". */
  partitionCount: number;
  /** Consumer groups besides `$default`, which always exists. Strings or `{ name }`. */
  consumerGroups?: ReadonlyArray<string | { name: string }>;
  /** How long and how much is kept per partition; defaults: 24 hours, no size limit. */
  retention?: { hours?: number; maxBytesPerPartition?: number };
}

/** The whole configuration. */
export interface EmulatorConfig {
  /** Namespace name, shown in logs and metrics; default `emulatorns1` (the official emulator's). */
  namespace?: string;
  eventHubs: EventHubConfig[];
  /**
   * When set, CBS put-token verifies SAS tokens: the signature must match one of these keys (by key
   * name) and the token must not be expired. Absent: any token is accepted, as the official emulator does.
   */
  sasKeys?: Record<string, string>;
  /** How the data directory is written (ignored without one). */
  persistence?: {
    /** `fsync` (default): acknowledged events survive power loss. `none`: they survive a process crash only. */
    sync?: 'fsync' | 'none';
    /** Size at which a partition starts a new segment file; retention deletes whole segments. Default 64 MiB. */
    segmentBytes?: number;
  };
  /** Caps that keep one client from taking the emulator down; defaults follow Azure's quotas. */
  limits?: EmulatorLimits;
}

/**
 * Resource caps, answered with the AMQP errors Azure gives so the SDKs raise their usual errors
 * (see docs/eventhubs-wire-protocol.md, "Limits").
 */
export interface EmulatorLimits {
  /** Open AMQP connections, plain and TLS together. Default 5,000 (Standard tier, per namespace). */
  maxConnections?: number;
  /** Links on one connection, $cbs and $management included. Default 5,000. */
  maxLinksPerConnection?: number;
  /**
   * Event bytes held in memory: all events without a data directory, events received and not yet
   * written with one. Default 1 GiB.
   */
  maxMemoryBytes?: number;
  /**
   * Bytes sent to a connection that its client has not read yet, above which readers on it pause.
   * Default 64 MiB.
   */
  maxUnreadBytesPerConnection?: number;
}

export interface NormalizedEventHub {
  readonly name: string;
  readonly partitionCount: number;
  readonly consumerGroups: readonly string[];
  readonly retentionMs: number;
  readonly retentionBytesPerPartition: number;
}

export interface NormalizedConfig {
  readonly namespace: string;
  readonly eventHubs: readonly NormalizedEventHub[];
  readonly sasKeys?: Readonly<Record<string, string>>;
  readonly persistence: { readonly sync: 'fsync' | 'none'; readonly segmentBytes: number };
  readonly limits: Readonly<Required<EmulatorLimits>>;
}

export const DEFAULT_LIMITS: Readonly<Required<EmulatorLimits>> = {
  maxConnections: 5000,
  maxLinksPerConnection: 5000,
  maxMemoryBytes: 1024 * 1024 * 1024,
  maxUnreadBytesPerConnection: 64 * 1024 * 1024,
};

export const DEFAULT_NAMESPACE = 'emulatorns1';
export const DEFAULT_RETENTION_HOURS = 24;

export function normalizeConfig(config: EmulatorConfig): NormalizedConfig {
  return {
    namespace: config.namespace ?? DEFAULT_NAMESPACE,
    sasKeys: config.sasKeys,
    persistence: {
      sync: config.persistence?.sync ?? 'fsync',
      segmentBytes: config.persistence?.segmentBytes ?? 64 * 1024 * 1024,
    },
    limits: {
      maxConnections: config.limits?.maxConnections ?? DEFAULT_LIMITS.maxConnections,
      maxLinksPerConnection: config.limits?.maxLinksPerConnection ?? DEFAULT_LIMITS.maxLinksPerConnection,
      maxMemoryBytes: config.limits?.maxMemoryBytes ?? DEFAULT_LIMITS.maxMemoryBytes,
      maxUnreadBytesPerConnection: config.limits?.maxUnreadBytesPerConnection ?? DEFAULT_LIMITS.maxUnreadBytesPerConnection,
    },
    eventHubs: config.eventHubs.map((hub) => {
      const groups = new Set<string>(['$default']);
      for (const group of hub.consumerGroups ?? []) groups.add(typeof group === 'string' ? group : group.name);
      return {
        name: hub.name,
        partitionCount: hub.partitionCount,
        consumerGroups: [...groups],
        retentionMs: (hub.retention?.hours ?? DEFAULT_RETENTION_HOURS) * 3_600_000,
        retentionBytesPerPartition: hub.retention?.maxBytesPerPartition ?? Number.POSITIVE_INFINITY,
      };
    }),
  };
}
