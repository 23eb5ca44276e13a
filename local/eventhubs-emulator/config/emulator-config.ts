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
}

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
