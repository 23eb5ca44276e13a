/**
 * Unprocessed events per partition, counted the way each scaler counts them. Both subtract the
 * checkpointed sequence number from the last enqueued one; they differ only at the edges (no
 * checkpoint yet, one event in the partition, a stale read), so each rule is kept as its source has it.
 */

/** Where one partition stands: the hub's side (from the partition properties) and the consumer group's checkpoint. */
export interface PartitionPosition {
  readonly partitionId: string;
  /** Sequence number of the oldest retained event (-1 when the partition never held one). */
  readonly beginningSequenceNumber: number;
  /** Sequence number of the newest event (-1 when the partition never held one). */
  readonly lastEnqueuedSequenceNumber: number;
  readonly isEmpty: boolean;
  /** Sequence number of the last processed event; undefined when the group has no checkpoint for it. */
  readonly checkpointSequenceNumber: number | undefined;
}

/** One consumer group on one hub, as both scalers see it on each poll. */
export interface HubPositions {
  readonly eventHubName: string;
  readonly consumerGroup: string;
  readonly partitions: readonly PartitionPosition[];
}

/**
 * The Event Hubs extension's count (EventHubMetricsProvider.GetUnprocessedEventCount): an empty
 * partition has nothing; without a checkpoint everything from the beginning is unprocessed; a
 * checkpoint ahead of a stale read counts as nothing.
 */
export function functionsUnprocessedEvents(position: PartitionPosition): number {
  const last = position.lastEnqueuedSequenceNumber;
  const checkpoint = position.checkpointSequenceNumber;
  // The provider only looks at partitions whose last event differs from the checkpoint, or that have none.
  if (last === -1 || last === checkpoint) return 0;
  if (position.isEmpty) return 0;
  const start = checkpoint ?? position.beginningSequenceNumber - 1;
  return last > start ? last - start : 0;
}

/**
 * KEDA's count (azure_eventhub_scaler.go): no checkpoint blob means every retained event, except that
 * a lone event at a non-zero sequence number counts as none (the source's own quirk, kept on purpose).
 */
export function kedaUnprocessedEvents(position: PartitionPosition): number {
  const last = position.lastEnqueuedSequenceNumber;
  if (last === -1) return 0;
  const checkpoint = position.checkpointSequenceNumber;
  if (checkpoint === undefined) {
    const begin = position.beginningSequenceNumber;
    return (begin === 0 && last === 0) || begin !== last ? last - begin + 1 : 0;
  }
  // KEDA wraps a checkpoint ahead of the last event round the int64 buffer and then drops it as stale.
  return last >= checkpoint ? last - checkpoint : 0;
}

/** Σ over partitions with the chosen rule. */
export function hubUnprocessedEvents(hub: HubPositions, rule: 'functions' | 'keda'): number {
  const count = rule === 'functions' ? functionsUnprocessedEvents : kedaUnprocessedEvents;
  return hub.partitions.reduce((sum, partition) => sum + count(partition), 0);
}
