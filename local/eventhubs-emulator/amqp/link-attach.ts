import rhea, { type Receiver, type Sender } from 'rhea';
import type { EventHubBroker, HubState, PartitionState } from '../broker/event-hub-broker.js';
import { parseEntityAddress, type EntityAddress } from '../core/entity-address.js';
import { parseStartPosition, type StartPosition } from '../core/event-position-filter.js';
import type { PartitionLog } from '../storage/partition-log.js';
import { Conditions, entityNotFound, type AmqpErrorInfo } from './amqp-conditions.js';
import { isAuthorized } from './cbs-endpoint.js';
import { ReplyChannel, type ConnectionState, type LinkHandler } from './connection-state.js';
import { DeliveryLink } from './delivery-link.js';
import { IngestLink, MAX_MESSAGE_BYTES } from './ingest-link.js';

/** Link fields rhea keeps but does not type. */
interface LinkInternals {
  local: {
    attach: {
      snd_settle_mode?: number;
      rcv_settle_mode?: number;
      max_message_size?: number;
      offered_capabilities?: unknown;
      properties?: unknown;
    };
  };
  remote: { attach?: { snd_settle_mode?: number } };
}

const { types } = rhea;

const SELECTOR_FILTER = 'apache.org:selector-filter:string';
const RUNTIME_METRIC_CAPABILITY = 'com.microsoft:enable-receiver-runtime-metric';
const EPOCH_PROPERTY = 'com.microsoft:epoch';

/** Settle modes (AMQP 1.0 §2.8.2, §2.8.3): mixed for the sender, first for the receiver. */
const SENDER_SETTLE_MIXED = 2;
const RECEIVER_SETTLE_FIRST = 0;

/**
 * Fields every attach answer states, as Azure's do: both settle modes (the sender's as the client
 * asked, a link handler may choose its own: delivery links send pre-settled; the receiver's as
 * `first`, the one mode the emulator settles in) and a properties map. Python's client merges the
 * answer's properties into its own with `dict.update`, so an answer without a map breaks every
 * link it opened with properties (its producers send `com.microsoft:timeout`).
 */
export function stateAttachFields(link: Receiver | Sender): void {
  const internals = link as unknown as LinkInternals;
  internals.local.attach.snd_settle_mode = internals.remote.attach?.snd_settle_mode ?? SENDER_SETTLE_MIXED;
  internals.local.attach.rcv_settle_mode = RECEIVER_SETTLE_FIRST;
  internals.local.attach.properties ??= {};
}

export interface AttachContext {
  broker: EventHubBroker;
  state: ConnectionState;
  namespaceHost: string;
  requireToken: boolean;
  log: (line: string) => void;
}

export type AttachResult = { handler: LinkHandler } | { error: AmqpErrorInfo };

function symbols(value: unknown): string[] {
  if (Array.isArray(value)) return value.map((item) => String(item));
  return value === undefined || value === null ? [] : [String(value)];
}

function notAuthorized(path: string): AmqpErrorInfo {
  return { condition: Conditions.unauthorized, description: `Unauthorized access. A valid token was not put for '${path}'.` };
}

/** The client attached a sender: we receive. $cbs and $management take requests; hubs take events. */
export function attachIncoming(receiver: Receiver, context: AttachContext): AttachResult {
  stateAttachFields(receiver);
  const address = receiver.target?.address;
  receiver.set_target({ address });
  receiver.set_source({ address: receiver.source?.address });
  const entity = parseEntityAddress(address);
  if (!entity)
    return {
      error: {
        condition: Conditions.notFound,
        description: `The link address '${String(address)}' is not an event hub, partition, $cbs or $management.`,
      },
    };
  if (entity.kind === 'cbs' || entity.kind === 'management') return { handler: { onClose() {} } };
  if (entity.kind === 'consumer')
    return { error: { condition: Conditions.notAllowed, description: `Cannot send to a consumer group address '${address}'.` } };
  const hub = context.broker.hub(entity.hub);
  if (!hub) return { error: entityNotFound(`sb://${context.namespaceHost}/${entity.hub}`) };
  if (context.requireToken && !isAuthorized(context.state, address ?? '')) return { error: notAuthorized(address ?? '') };
  let partition;
  if (entity.kind === 'partition') {
    partition = hub.partition(entity.partitionId);
    if (!partition) return { error: invalidPartition(hub.partitions.length) };
  }
  (receiver as unknown as LinkInternals).local.attach.max_message_size = MAX_MESSAGE_BYTES;
  return { handler: new IngestLink(receiver, hub, partition, context.broker.metrics, context.broker.memory, context.log) };
}

function invalidPartition(count: number): AmqpErrorInfo {
  return {
    condition: Conditions.argumentOutOfRange,
    description: `The specified partition is invalid for an EventHub partition sender or receiver. It should be between 0 and ${count - 1}.`,
  };
}

function startSequenceNumber(position: StartPosition, log: PartitionLog): number | AmqpErrorInfo {
  const info = log.info();
  switch (position.kind) {
    case 'earliest':
      return info.beginSequenceNumber;
    case 'latest':
      return info.lastSequenceNumber + 1;
    case 'offset':
      return log.sequenceNumberAfterOffset(position.offset, { inclusive: position.inclusive });
    case 'time':
      return log.sequenceNumberAfterTime(position.inclusive ? position.timeMs - 1 : position.timeMs);
    case 'sequence': {
      const start = position.inclusive ? position.sequenceNumber : position.sequenceNumber + 1;
      if (start > info.lastSequenceNumber + 1) {
        return {
          condition: Conditions.argumentOutOfRange,
          description: `The supplied sequence number '${position.sequenceNumber}' is invalid. The last sequence number in the system is '${info.lastSequenceNumber}'.`,
        };
      }
      return Math.max(start, info.beginSequenceNumber);
    }
  }
}

/** The client attached a receiver: we send. Reply links for $cbs/$management, else a partition reader. */
export function attachOutgoing(sender: Sender, context: AttachContext): AttachResult {
  stateAttachFields(sender);
  const address = sender.source?.address;
  sender.set_source({ address });
  sender.set_target({ address: sender.target?.address });
  const entity = parseEntityAddress(address);
  if (entity?.kind === 'cbs' || entity?.kind === 'management') {
    return { handler: new ReplyChannel(sender, entity.kind) };
  }
  if (!entity || entity.kind !== 'consumer') {
    return {
      error: {
        condition: Conditions.notFound,
        description: `The link address '${String(address)}' is not a consumer group partition ('<hub>/ConsumerGroups/<group>/Partitions/<id>').`,
      },
    };
  }
  const target = consumerPartition(entity, context);
  if ('error' in target) return target;
  const { hub, partition } = target;
  if (context.requireToken && !isAuthorized(context.state, address ?? '')) return { error: notAuthorized(address ?? '') };

  const position = requestedStartPosition(sender);
  if ('error' in position) return position;
  const start = startSequenceNumber(position.position, partition.log);
  if (typeof start !== 'number') return { error: start };

  const { ownerLevel, withRuntimeInfo } = stateDeliveryAttach(sender);
  const reader = new DeliveryLink(sender, partition, {
    consumerGroup: entity.consumerGroup,
    startSequenceNumber: start,
    ownerLevel,
    withRuntimeInfo,
    counters: context.broker.metrics.counters(hub.name, partition.id),
    maxUnreadBytes: context.broker.config.limits.maxUnreadBytesPerConnection,
  });
  const admitted = partition.readers(entity.consumerGroup).admit(reader);
  if (!admitted.admitted) {
    reader.onClose();
    return { error: { condition: admitted.condition, description: admitted.description } };
  }
  return { handler: reader };
}

/** The hub, consumer group and partition a consumer address names, or the error Azure gives for the first missing one. */
function consumerPartition(
  entity: Extract<EntityAddress, { kind: 'consumer' }>,
  context: AttachContext,
): { hub: HubState; partition: PartitionState } | { error: AmqpErrorInfo } {
  const hub = context.broker.hub(entity.hub);
  if (!hub) return { error: entityNotFound(`sb://${context.namespaceHost}/${entity.hub}`) };
  if (!hub.hasConsumerGroup(entity.consumerGroup)) {
    return { error: entityNotFound(`sb://${context.namespaceHost}/${entity.hub}/ConsumerGroups/${entity.consumerGroup}`) };
  }
  const partition = hub.partition(entity.partitionId);
  if (!partition) return { error: invalidPartition(hub.partitions.length) };
  return { hub, partition };
}

/** The start position the link's selector filter asks for (latest without one); any other filter is refused. */
function requestedStartPosition(sender: Sender): { position: StartPosition } | { error: AmqpErrorInfo } {
  const filters = (sender.source as { filter?: Record<string, unknown> } | undefined)?.filter ?? {};
  let position: StartPosition = { kind: 'latest' };
  for (const [name, value] of Object.entries(filters)) {
    const expression = (value as { value?: unknown } | null)?.value ?? value;
    if (name !== SELECTOR_FILTER || typeof expression !== 'string') {
      return { error: { condition: Conditions.notImplemented, description: `The filter '${name}' is not supported.` } };
    }
    const parsed = parseStartPosition(expression);
    if (!parsed) return { error: { condition: Conditions.notImplemented, description: `The selector '${expression}' is not supported.` } };
    position = parsed;
  }
  return { position };
}

/** Reads the owner level and capabilities the client asked for and states the attach answer's delivery fields. */
function stateDeliveryAttach(sender: Sender): { ownerLevel: number | undefined; withRuntimeInfo: boolean } {
  const properties = (sender.properties ?? {}) as Record<string, unknown>;
  const epoch = properties[EPOCH_PROPERTY];
  const ownerLevel = epoch === undefined || epoch === null ? undefined : Number(epoch);
  const capabilities = symbols(sender.desired_capabilities);
  const internals = (sender as unknown as LinkInternals).local.attach;
  // Pre-settled: the SDK accepts everything it gets, so tracking settlement would only cost round trips.
  internals.snd_settle_mode = 1;
  if (capabilities.length > 0) internals.offered_capabilities = capabilities;
  // The owner level in effect, stated back as a long, the type the clients send it as.
  if (ownerLevel !== undefined) internals.properties = { [EPOCH_PROPERTY]: types.wrap_long(ownerLevel) };
  return { ownerLevel, withRuntimeInfo: capabilities.includes(RUNTIME_METRIC_CAPABILITY) };
}
