/** Counters the emulator exposes over HTTP (Prometheus text) and in its logs. */
export interface PartitionCounters {
  eventsIn: number;
  bytesIn: number;
  eventsOut: number;
  bytesOut: number;
}

export class EmulatorMetrics {
  /** Keyed by `hub\u0000partition`. */
  readonly partitions = new Map<string, PartitionCounters>();
  openConnections = 0;
  openLinks = 0;
  /** Attaches and transfers refused by each of the configured limits. */
  readonly limitRefusals = { connections: 0, links: 0, memory: 0 };
  /** Group-commit writes of the file logs, and the events they carried. */
  logFlushes = 0;
  loggedEvents = 0;

  counters(hub: string, partitionId: string): PartitionCounters {
    const key = `${hub}\u0000${partitionId}`;
    let counters = this.partitions.get(key);
    if (!counters) {
      counters = { eventsIn: 0, bytesIn: 0, eventsOut: 0, bytesOut: 0 };
      this.partitions.set(key, counters);
    }
    return counters;
  }
}
