/**
 * `app.eventHub` locally, with the Event Hubs extension's semantics: `EventHubConsumerClient
 * .subscribe()` with greedy load balancing and the blob checkpoint store in
 * `azure-webjobs-eventhub` (the extension's container and blob layout), host.json's batch size,
 * prefetch, minimum batch size / max wait time and initial offset, batches of `many` or one event
 * per invocation for `one`, and — the part handlers must design for — the last event of every
 * batch checkpointed whether the handler succeeded or threw (every Nth batch with
 * `batchCheckpointFrequency` N), never on shutdown or lost ownership.
 */
import {
  EventHubConsumerClient,
  RetryMode,
  earliestEventPosition,
  latestEventPosition,
  type EventPosition,
  type PartitionContext,
  type ReceivedEventData,
  type CheckpointStore,
  type EventHubConsumerClientOptions,
  type Subscription,
} from '@azure/event-hubs';
import { BlobCheckpointStore } from '@azure/eventhubs-checkpointstore-blob';
import { ContainerClient } from '@azure/storage-blob';
import { HostError } from '../host-error.js';
import { resolveBindingExpression, resolveConnectionString } from '../binding-settings.js';
import { eventsInput, eventsTriggerMetadata, type EventsBinding, type PartitionInfo } from './event-hub-binding-data.js';
import { invokeWithRetryPolicy } from './retry-policy.js';
import { describeError, type ListenerContext, type TriggerListener } from './trigger-listener.js';

export const CHECKPOINT_CONTAINER = 'azure-webjobs-eventhub';

/** The SDK's own defaults (`EventHubConsumerClient` load-balancing options). */
const SDK_LOAD_BALANCING_INTERVAL_MS = 10_000;
const SDK_OWNERSHIP_EXPIRY_MS = 60_000;

export interface EventHubListenerOptions {
  /** How often a processor claims and renews partitions (SDK default 10 s). */
  readonly loadBalancingUpdateIntervalMs?: number;
  /** When an unrenewed ownership counts as abandoned (SDK default 60 s). */
  readonly partitionOwnershipExpirationIntervalMs?: number;
}

interface PartitionBuffer {
  events: ReceivedEventData[];
  firstBufferedAt: number;
  batches: number;
}

/**
 * A host that restarts under the same instance id finds the ownerships its previous process left
 * behind. The load balancer would count them as its own without reading them, so those partitions
 * would sit idle until the ownerships expired; given up here, as a clean stop gives them up, they are
 * claimed at the first load-balancing pass (docs/functions-host.md).
 */
async function releaseOwnershipsOfEarlierLife(
  store: Pick<CheckpointStore, 'listOwnership' | 'claimOwnership'>,
  client: Pick<EventHubConsumerClient, 'fullyQualifiedNamespace' | 'eventHubName'>,
  consumerGroup: string,
  instanceId: string,
): Promise<void> {
  const ownerships = await store.listOwnership(client.fullyQualifiedNamespace, client.eventHubName, consumerGroup);
  const stale = ownerships.filter((ownership) => ownership.ownerId === instanceId);
  // Conditional on each blob's etag: one another instance claimed in the meantime stays theirs.
  if (stale.length > 0) await store.claimOwnership(stale.map((ownership) => ({ ...ownership, ownerId: '' })));
}

export class EventHubListener implements TriggerListener {
  readonly #context: ListenerContext;
  readonly #options: EventHubListenerOptions;
  readonly #abort = new AbortController();
  readonly #inFlight = new Set<Promise<void>>();
  readonly #buffers = new Map<string, PartitionBuffer>();
  #client?: EventHubConsumerClient;
  #subscription?: Subscription;
  #stopping = false;

  constructor(context: ListenerContext, options: EventHubListenerOptions) {
    this.#context = context;
    this.#options = options;
  }

  async start(): Promise<void> {
    const { trigger, config, instanceId } = this.#context;
    const eventHubs = config.extensions.eventHubs;
    const connection = resolveConnectionString(trigger.connection as string | undefined, 'EventHub');
    const eventHubName = resolveBindingExpression(String(trigger.eventHubName ?? ''));
    const consumerGroup = resolveBindingExpression(String(trigger.consumerGroup ?? '$Default'));
    const startPosition = this.#startPosition();
    const storage = resolveConnectionString(undefined, 'AzureWebJobsStorage');
    const container = new ContainerClient(storage, CHECKPOINT_CONTAINER);
    await container.createIfNotExists();

    const clientOptions = this.#clientOptions();
    const checkpointStore = new BlobCheckpointStore(container);
    // Without eventHubName the connection string names the hub (EntityPath), as the extension allows.
    const client =
      eventHubName === ''
        ? new EventHubConsumerClient(consumerGroup, connection, checkpointStore, clientOptions)
        : new EventHubConsumerClient(consumerGroup, connection, eventHubName, checkpointStore, clientOptions);
    this.#client = client;
    await releaseOwnershipsOfEarlierLife(checkpointStore, client, consumerGroup, instanceId);
    const needsMinimum = eventHubs.minEventBatchSize > 1;
    this.#subscription = client.subscribe(
      {
        processEvents: (events, partition) => this.#onEvents(events, partition),
        processError: async (error, partition) => this.#onError(error, partition),
        processClose: async (_reason, partition) => {
          // Lost ownership or shutdown: events still buffered are not checkpointed; the next owner reads them again.
          this.#buffers.delete(partition.partitionId);
        },
      },
      {
        maxBatchSize: eventHubs.maxEventBatchSize,
        // Without a minimum batch the wait only paces empty polls; with one it bounds how long a short
        // batch waits, to the millisecond: the SDK then calls back (empty) when the wait is over.
        maxWaitTimeInSeconds: needsMinimum ? Math.max(0.05, eventHubs.maxWaitTime / 1000) : 5,
        prefetchCount: eventHubs.prefetchCount,
        startPosition,
        skipParsingBodyAsJson: true,
      },
    );
  }

  /** The SDK client's options from host.json: its retries, and load balancing that keeps the SDK's pauses. */
  #clientOptions(): EventHubConsumerClientOptions {
    const retry = this.#context.config.extensions.eventHubs.clientRetryOptions;
    return {
      identifier: this.#context.instanceId,
      retryOptions: {
        mode: retry.mode === 'exponential' ? RetryMode.Exponential : RetryMode.Fixed,
        timeoutInMs: retry.tryTimeout,
        retryDelayInMs: retry.delay,
        maxRetryDelayInMs: retry.maximumDelay,
        maxRetries: retry.maximumRetries,
      },
      loadBalancingOptions: {
        strategy: 'greedy',
        // Always set: the SDK spreads these over its defaults, so an undefined here would replace its
        // 10 s with no pause at all, and processors would claim and steal partitions in a tight loop.
        updateIntervalInMs: this.#options.loadBalancingUpdateIntervalMs ?? SDK_LOAD_BALANCING_INTERVAL_MS,
        partitionOwnershipExpirationIntervalInMs: this.#options.partitionOwnershipExpirationIntervalMs ?? SDK_OWNERSHIP_EXPIRY_MS,
      },
    };
  }

  #onError(error: Error, partition: PartitionContext): void {
    if (this.#stopping) return;
    const name = this.#context.fn.metadata.name;
    if ((error as { code?: string }).code === 'ReceiverDisconnectedError') {
      // Another instance claimed the partition (higher epoch): load balancing at work, not a fault.
      this.#context.log('information', `[${name}] partition ${partition.partitionId} moved to another instance`);
      return;
    }
    this.#context.log('warning', `[${name}] partition ${partition.partitionId || '(load balancer)'}: ${describeError(error)}`);
  }

  #startPosition(): EventPosition {
    const initial = this.#context.config.extensions.eventHubs.initialOffsetOptions;
    if (initial.type === 'fromEnd') return latestEventPosition;
    if (initial.type === 'fromEnqueuedTime') {
      if (initial.enqueuedTimeUtc === undefined) {
        throw new HostError('INVALID_CONFIG', 'initialOffsetOptions fromEnqueuedTime needs enqueuedTimeUtc.');
      }
      return { enqueuedOn: new Date(initial.enqueuedTimeUtc) };
    }
    return earliestEventPosition;
  }

  async stop(): Promise<void> {
    // Finish what is running (and checkpoint it), take nothing new, then let go of the partitions.
    this.#stopping = true;
    this.#abort.abort();
    await Promise.allSettled([...this.#inFlight]);
    await this.#subscription?.close();
    await this.#client?.close();
  }

  async #onEvents(events: ReceivedEventData[], partition: PartitionContext): Promise<void> {
    if (this.#stopping) return;
    const { minEventBatchSize, maxWaitTime, maxEventBatchSize } = this.#context.config.extensions.eventHubs;
    let buffer = this.#buffers.get(partition.partitionId);
    if (buffer === undefined) {
      buffer = { events: [], firstBufferedAt: 0, batches: 0 };
      this.#buffers.set(partition.partitionId, buffer);
    }
    if (events.length > 0 && buffer.events.length === 0) buffer.firstBufferedAt = Date.now();
    buffer.events.push(...events);
    // The SDK calls back empty only when a whole maxWaitTime passed with nothing new, so an empty
    // call means the buffered events waited long enough, even if its timer ran a millisecond short
    // of Date.now(): otherwise a short batch would wait a second window.
    const waitedEnough = buffer.events.length > 0 && (events.length === 0 || Date.now() - buffer.firstBufferedAt >= maxWaitTime);
    if (buffer.events.length === 0 || (buffer.events.length < minEventBatchSize && !waitedEnough)) return;

    const ready = buffer.events.splice(0, buffer.events.length);
    for (let start = 0; start < ready.length; start += maxEventBatchSize) {
      // Shutting down: what is not dispatched yet stays not checkpointed and goes to the next owner.
      if (this.#stopping) return;
      const work = this.#dispatch(ready.slice(start, start + maxEventBatchSize), partition, buffer);
      this.#inFlight.add(work);
      try {
        await work;
      } finally {
        this.#inFlight.delete(work);
      }
    }
  }

  async #dispatch(batch: ReceivedEventData[], partition: PartitionContext, buffer: PartitionBuffer): Promise<void> {
    const { trigger, triggerName, fn, log, config } = this.#context;
    const binding: EventsBinding = {
      cardinality: trigger.cardinality === 'many' ? 'many' : 'one',
      dataType: typeof trigger.dataType === 'string' ? trigger.dataType : undefined,
    };
    const info: PartitionInfo = {
      fullyQualifiedNamespace: partition.fullyQualifiedNamespace,
      eventHubName: partition.eventHubName,
      consumerGroup: partition.consumerGroup,
      partitionId: partition.partitionId,
    };
    const invocations = binding.cardinality === 'many' ? [batch] : batch.map((event) => [event]);
    let abandoned = false;
    for (const events of invocations) {
      try {
        await invokeWithRetryPolicy(
          this.#context,
          {
            inputData: [{ name: triggerName, data: eventsInput(events, binding) }],
            triggerMetadata: eventsTriggerMetadata(events, info, binding),
          },
          events.length,
          this.#abort.signal,
        );
      } catch (error) {
        // A retry policy cut short by shutdown leaves the batch to the next owner, as the host does.
        if (this.#abort.signal.aborted && fn.metadata.retryOptions) {
          abandoned = true;
          break;
        }
        const first = events[0]?.sequenceNumber;
        log(
          'error',
          `[${fn.metadata.name}] partition ${partition.partitionId}, events from #${first} (${events.length}): ` +
            `handler failed, checkpoint moves on: ${describeError(error)}`,
        );
      }
    }

    if (abandoned) return;
    // The extension checkpoints failed batches too: a handler must settle every event itself.
    buffer.batches += 1;
    const last = batch[batch.length - 1];
    if (last === undefined || buffer.batches % config.extensions.eventHubs.batchCheckpointFrequency !== 0) return;
    try {
      await partition.updateCheckpoint(last);
    } catch (error) {
      log(
        'warning',
        `[${fn.metadata.name}] checkpoint of partition ${partition.partitionId} at #${last.sequenceNumber} failed: ${describeError(error)}`,
      );
    }
  }
}
