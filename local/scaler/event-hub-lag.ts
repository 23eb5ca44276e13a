/**
 * Reads where each partition stands, the way both scalers do on every poll: the hub's side from
 * `getPartitionProperties` (official SDK, against our emulator or Azure) and the consumer group's
 * side from the checkpoint store the Functions host writes (`azure-webjobs-eventhub`, the
 * extension's blob layout with `sequencenumber` metadata). Counting is left to `partition-lag.ts`.
 */
import { EventHubConsumerClient, type CheckpointStore, type PartitionProperties } from '@azure/event-hubs';
import { BlobCheckpointStore } from '@azure/eventhubs-checkpointstore-blob';
import { ContainerClient } from '@azure/storage-blob';
import { EVENTHUB_CHECKPOINT_CONTAINER } from '../../shared/config/app-settings.js';
import { EtlError } from '../../shared/errors/etl-error.js';
import type { HubPositions, PartitionPosition } from './partition-lag.js';

/** Port: the positions of every watched hub, read fresh on each call. */
export interface HubLagSource {
  read(signal?: AbortSignal): Promise<HubPositions[]>;
  close(): Promise<void>;
}

/** The slice of `EventHubConsumerClient` the reader needs. */
export interface PartitionPropertiesClientLike {
  readonly fullyQualifiedNamespace: string;
  readonly eventHubName: string;
  getPartitionIds(options?: { abortSignal?: AbortSignal }): Promise<string[]>;
  getPartitionProperties(partitionId: string, options?: { abortSignal?: AbortSignal }): Promise<PartitionProperties>;
  close(): Promise<void>;
}

export type CheckpointListerLike = Pick<CheckpointStore, 'listCheckpoints'>;

/** One watched consumer group: the SDK client of its hub and the group's name. */
export interface WatchedConsumerGroup {
  readonly client: PartitionPropertiesClientLike;
  readonly consumerGroup: string;
}

/** Reads positions through the Event Hubs SDK and a checkpoint store. */
export class EventHubsLagReader implements HubLagSource {
  readonly #watched: readonly WatchedConsumerGroup[];
  readonly #checkpoints: CheckpointListerLike;

  constructor(watched: readonly WatchedConsumerGroup[], checkpoints: CheckpointListerLike) {
    this.#watched = watched;
    this.#checkpoints = checkpoints;
  }

  async read(signal?: AbortSignal): Promise<HubPositions[]> {
    return Promise.all(this.#watched.map((watched) => this.#readHub(watched, signal)));
  }

  async #readHub({ client, consumerGroup }: WatchedConsumerGroup, signal: AbortSignal | undefined): Promise<HubPositions> {
    const [partitionIds, checkpoints] = await Promise.all([
      client.getPartitionIds({ abortSignal: signal }),
      this.#checkpoints.listCheckpoints(client.fullyQualifiedNamespace, client.eventHubName, consumerGroup, { abortSignal: signal }),
    ]);
    const checkpointed = new Map(checkpoints.map((checkpoint) => [checkpoint.partitionId, checkpoint.sequenceNumber]));
    const partitions = await Promise.all(
      partitionIds.map(async (partitionId): Promise<PartitionPosition> => {
        const properties = await client.getPartitionProperties(partitionId, { abortSignal: signal });
        return {
          partitionId,
          beginningSequenceNumber: properties.beginningSequenceNumber,
          lastEnqueuedSequenceNumber: properties.lastEnqueuedSequenceNumber,
          isEmpty: properties.isEmpty,
          checkpointSequenceNumber: checkpointed.get(partitionId),
        };
      }),
    );
    return { eventHubName: client.eventHubName, consumerGroup, partitions };
  }

  async close(): Promise<void> {
    await Promise.all(this.#watched.map(({ client }) => client.close()));
  }
}

/** Builds the reader from connection strings, for the hubs and consumer groups of the pipeline's triggers. */
export function createEventHubsLagReader(options: {
  readonly eventHubsConnectionString: string;
  readonly storageConnectionString: string;
  readonly hubs: readonly { readonly eventHubName: string; readonly consumerGroup: string }[];
  readonly checkpointContainer?: string;
}): EventHubsLagReader {
  if (options.hubs.length === 0) throw new EtlError('INVALID_CONFIG', 'The lag reader needs at least one hub to watch.');
  const container = new ContainerClient(options.storageConnectionString, options.checkpointContainer ?? EVENTHUB_CHECKPOINT_CONTAINER);
  const watched = options.hubs.map((hub) => ({
    client: new EventHubConsumerClient(hub.consumerGroup, options.eventHubsConnectionString, hub.eventHubName),
    consumerGroup: hub.consumerGroup,
  }));
  return new EventHubsLagReader(watched, new BlobCheckpointStore(container));
}
