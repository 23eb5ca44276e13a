/**
 * A simulated hub for one consumer group: per partition the events still to be checkpointed, the
 * last enqueued sequence number and the checkpoint — the two numbers both scalers read, handed to
 * them as `HubPositions` so their own lag rules count them — and which instance owns it.
 */
import type { HubPositions } from '../../local/scaler/partition-lag.js';

export interface SimulatedEvent {
  readonly sequenceNumber: number;
  /** Valid rows it carries, per file id (a partial message carries fact rows for the aggregate). */
  readonly rows: number;
  readonly fileId: number;
  readonly bytes: number;
}

export interface PartitionOwner {
  readonly id: string;
}

export class SimulatedPartition {
  readonly index: number;
  /** Events after the checkpoint, oldest first. */
  readonly #events: SimulatedEvent[] = [];
  #head = 0;
  lastEnqueued = -1;
  checkpoint: number | undefined = undefined;
  owner: PartitionOwner | undefined = undefined;
  /** The next sequence number the owner has not read yet. */
  readPosition = 0;
  /** The highest sequence number whose rows are loaded (the chunk ledger's view): replays below it load nothing. */
  appliedUpTo = -1;

  constructor(index: number) {
    this.index = index;
  }

  append(rows: number, fileId: number, bytes: number): SimulatedEvent {
    this.lastEnqueued += 1;
    const event = { sequenceNumber: this.lastEnqueued, rows, fileId, bytes };
    this.#events.push(event);
    return event;
  }

  /** Events from `from` on, at most `count`, without removing them. */
  read(from: number, count: number): SimulatedEvent[] {
    const first = this.#events[this.#head]?.sequenceNumber ?? this.lastEnqueued + 1;
    const start = this.#head + Math.max(0, from - first);
    return this.#events.slice(start, start + count);
  }

  /** Events after `readPosition` the owner could still read. */
  get unread(): number {
    return this.lastEnqueued + 1 - this.readPosition;
  }

  /** Moves the checkpoint and forgets what it covers. */
  checkpointAt(sequenceNumber: number): void {
    this.checkpoint = Math.max(this.checkpoint ?? -1, sequenceNumber);
    while (this.#head < this.#events.length && this.#events[this.#head]!.sequenceNumber <= this.checkpoint) this.#head += 1;
    if (this.#head > 4096 && this.#head * 2 > this.#events.length) {
      this.#events.splice(0, this.#head);
      this.#head = 0;
    }
  }

  /** The next owner starts after the checkpoint, as a processor does. */
  resetReadPosition(): void {
    this.readPosition = (this.checkpoint ?? -1) + 1;
  }

  /** Events not yet checkpointed. */
  get backlog(): number {
    return this.lastEnqueued - (this.checkpoint ?? -1);
  }
}

export class SimulatedHub {
  readonly name: string;
  readonly consumerGroup: string;
  readonly partitions: readonly SimulatedPartition[];

  constructor(name: string, consumerGroup: string, partitionCount: number) {
    if (!Number.isSafeInteger(partitionCount) || partitionCount < 1)
      throw new RangeError(`${name}: partitions must be a positive integer, got ${partitionCount}`);
    this.name = name;
    this.consumerGroup = consumerGroup;
    this.partitions = Array.from({ length: partitionCount }, (_, index) => new SimulatedPartition(index));
  }

  /** What a scaler reads on a poll: the partition properties and the checkpoints, as on Azure. */
  positions(): HubPositions {
    return {
      eventHubName: this.name,
      consumerGroup: this.consumerGroup,
      partitions: this.partitions.map((partition) => ({
        partitionId: String(partition.index),
        beginningSequenceNumber: 0,
        lastEnqueuedSequenceNumber: partition.lastEnqueued,
        isEmpty: partition.lastEnqueued < 0,
        checkpointSequenceNumber: partition.checkpoint,
      })),
    };
  }

  /** Events not yet checkpointed, over the partitions. */
  get backlog(): number {
    return this.partitions.reduce((sum, partition) => sum + partition.backlog, 0);
  }
}

/**
 * How many partitions each owner should hold: P / N, the first P mod N owners (in the given order)
 * one more. Returns the moves that get there from the current ownership with the fewest changes.
 */
export function balancePartitions(
  partitions: readonly SimulatedPartition[],
  owners: readonly PartitionOwner[],
): { partition: SimulatedPartition; to: PartitionOwner }[] {
  if (owners.length === 0) return [];
  const held = new Map<PartitionOwner, SimulatedPartition[]>(owners.map((owner) => [owner, []]));
  const free: SimulatedPartition[] = [];
  for (const partition of partitions) {
    const list = partition.owner === undefined ? undefined : held.get(partition.owner);
    if (list) list.push(partition);
    else free.push(partition);
  }
  const base = Math.floor(partitions.length / owners.length);
  const extra = partitions.length % owners.length;
  // Owners already holding more keep the "+1" shares, so fewer partitions move.
  const ranked = [...owners].sort((a, b) => held.get(b)!.length - held.get(a)!.length);
  const quota = new Map(ranked.map((owner, index) => [owner, base + (index < extra ? 1 : 0)]));
  for (const owner of owners) {
    const list = held.get(owner)!;
    while (list.length > quota.get(owner)!) free.push(list.pop()!);
  }
  const moves: { partition: SimulatedPartition; to: PartitionOwner }[] = [];
  free.sort((a, b) => a.index - b.index);
  for (const owner of owners) {
    const list = held.get(owner)!;
    while (list.length < quota.get(owner)! && free.length > 0) {
      const partition = free.shift()!;
      list.push(partition);
      moves.push({ partition, to: owner });
    }
  }
  return moves;
}
