import rhea from 'rhea';
import type { EventHubBroker, HubState } from '../broker/event-hub-broker.js';
import { replyMessage } from './request-reply.js';

const { types } = rhea;

export interface ManagementRequest {
  message_id?: unknown;
  application_properties?: Record<string, unknown>;
}

/** Answers management READ for `com.microsoft:eventhub` and `com.microsoft:partition`. */
export function handleManagementRequest(request: ManagementRequest, broker: EventHubBroker, namespaceHost: string): object {
  const properties = request.application_properties ?? {};
  if (properties.operation !== 'READ') {
    return replyMessage(
      request,
      400,
      `Unsupported management operation '${String(properties.operation)}'.`,
      undefined,
      'amqp:not-implemented',
    );
  }
  const hubName = typeof properties.name === 'string' ? properties.name : '';
  const hub = broker.hub(hubName);
  if (!hub) {
    return replyMessage(
      request,
      404,
      `The messaging entity 'sb://${namespaceHost}/${hubName}' could not be found.`,
      undefined,
      'amqp:not-found',
    );
  }
  if (properties.type === 'com.microsoft:eventhub') return eventHubReply(request, hub);
  if (properties.type === 'com.microsoft:partition') return partitionReply(request, hub, String(properties.partition ?? ''));
  return replyMessage(request, 400, `Unsupported management type '${String(properties.type)}'.`, undefined, 'amqp:not-implemented');
}

/** The hub's properties, as `getEventHubProperties` reads them. */
function eventHubReply(request: ManagementRequest, hub: HubState): object {
  return replyMessage(
    request,
    200,
    'OK',
    types.wrap_map({
      name: hub.name,
      created_at: types.wrap_timestamp(hub.createdAtMs),
      partition_ids: types.wrap_array(
        hub.partitions.map((partition) => partition.id),
        0xa1,
        undefined,
      ),
      partition_count: types.wrap_int(hub.partitions.length),
      georeplication_factor: types.wrap_int(1),
      type: 'com.microsoft:eventhub',
    }),
  );
}

/** One partition's properties, as `getPartitionProperties` reads them; an unknown id is out of range. */
function partitionReply(request: ManagementRequest, hub: HubState, partitionId: string): object {
  const partition = hub.partition(partitionId);
  if (!partition) {
    return replyMessage(
      request,
      400,
      `The specified partition is invalid for an EventHub partition sender or receiver. It should be between 0 and ${hub.partitions.length - 1}.`,
      undefined,
      'com.microsoft:argument-out-of-range',
    );
  }
  const info = partition.log.info();
  return replyMessage(
    request,
    200,
    'OK',
    types.wrap_map({
      name: hub.name,
      type: 'com.microsoft:partition',
      partition: partition.id,
      // A partition that never held an event reports −1 for both ends, as the service does.
      begin_sequence_number: types.wrap_long(info.lastSequenceNumber < 0 ? -1 : info.beginSequenceNumber),
      last_enqueued_sequence_number: types.wrap_long(info.lastSequenceNumber),
      last_enqueued_offset: String(info.lastOffset),
      last_enqueued_time_utc: types.wrap_timestamp(info.lastEnqueuedTimeMs),
      is_partition_empty: info.lastSequenceNumber < info.beginSequenceNumber,
    }),
  );
}
