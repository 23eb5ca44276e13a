/**
 * Event Hubs events as the Functions host hands them to a Node.js function: bodies decoded per the
 * binding's `dataType`, and the trigger metadata of the Event Hubs extension
 * (Triggers/EventHubTriggerBindingStrategy), PascalCase here, camel-cased by `@azure/functions`.
 */
import type { ReceivedEventData } from '@azure/event-hubs';
import type { RpcTypedData } from '../functions-core-injection.js';
import { toDotNetUtcDateTime, toRpcTriggerMetadata, type BindingValue } from '../rpc-typed-data.js';

export interface PartitionInfo {
  readonly fullyQualifiedNamespace: string;
  readonly eventHubName: string;
  readonly consumerGroup: string;
  readonly partitionId: string;
}

/**
 * The body's bytes as they travelled: what the host reads before applying the binding's dataType.
 * The listener subscribes with `skipParsingBodyAsJson`, so a data-section body arrives as bytes.
 */
export function eventBodyBytes(event: ReceivedEventData): Buffer {
  let body: unknown = event.body;
  // An AMQP data section that reached us undecoded: { typecode: 117, content: bytes }.
  if (typeof body === 'object' && body !== null && (body as { typecode?: number }).typecode === 117) {
    body = (body as { content?: unknown }).content;
  }
  if (Buffer.isBuffer(body)) return body;
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body === undefined || body === null) return Buffer.alloc(0);
  return Buffer.from(JSON.stringify(body), 'utf8');
}

/** How the trigger binding hands events over: one per invocation or a batch, as text or bytes. */
export interface EventsBinding {
  readonly cardinality: 'one' | 'many';
  readonly dataType: string | undefined;
}

/**
 * The trigger argument. `string` (and no dataType, which we treat alike) gives strings the library
 * JSON-parses where it can; the host drops empty strings from string collections, so the array can
 * be shorter than the batch. `binary` gives Buffers.
 */
export function eventsInput(events: readonly ReceivedEventData[], { dataType, cardinality }: EventsBinding): RpcTypedData {
  const many = cardinality === 'many';
  if (dataType === 'binary') {
    const bytes = events.map(eventBodyBytes);
    return many ? { collectionBytes: { bytes } } : { bytes: bytes[0] ?? Buffer.alloc(0) };
  }
  const strings = events.map((event) => eventBodyBytes(event).toString('utf8'));
  return many ? { collectionString: { string: strings.filter((text) => text.length > 0) } } : { string: strings[0] ?? '' };
}

function systemProperties(event: ReceivedEventData): Record<string, unknown> {
  const enqueued = toDotNetUtcDateTime(event.enqueuedTimeUtc);
  return {
    ...(event.systemProperties ?? {}),
    'x-opt-sequence-number': event.sequenceNumber,
    'x-opt-offset': event.offset,
    'x-opt-enqueued-time': enqueued,
    ...(event.partitionKey ? { 'x-opt-partition-key': event.partitionKey } : {}),
    SequenceNumber: event.sequenceNumber,
    Offset: event.offset,
    PartitionKey: event.partitionKey,
    EnqueuedTimeUtc: enqueued,
  };
}

function nonEmpty(values: ReadonlyArray<string | null | undefined>): string[] {
  return values.filter((value): value is string => typeof value === 'string' && value.length > 0);
}

export function eventsTriggerMetadata(
  events: readonly ReceivedEventData[],
  partition: PartitionInfo,
  { cardinality }: Pick<EventsBinding, 'cardinality'>,
): Record<string, RpcTypedData> {
  const partitionContext = {
    FullyQualifiedNamespace: partition.fullyQualifiedNamespace,
    EventHubName: partition.eventHubName,
    ConsumerGroup: partition.consumerGroup,
    PartitionId: partition.partitionId,
  };
  if (cardinality === 'one') {
    const event = events[0];
    if (event === undefined) return toRpcTriggerMetadata({ PartitionContext: partitionContext });
    return toRpcTriggerMetadata({
      PartitionContext: partitionContext,
      PartitionKey: event.partitionKey,
      Offset: event.offset,
      SequenceNumber: event.sequenceNumber,
      EnqueuedTimeUtc: toDotNetUtcDateTime(event.enqueuedTimeUtc),
      Properties: (event.properties ?? {}) as BindingValue,
      SystemProperties: systemProperties(event) as BindingValue,
    });
  }
  return toRpcTriggerMetadata({
    PartitionContext: partitionContext,
    PartitionKeyArray: nonEmpty(events.map((event) => event.partitionKey)),
    OffsetArray: nonEmpty(events.map((event) => String(event.offset))),
    SequenceNumberArray: { sint64: events.map((event) => event.sequenceNumber) },
    EnqueuedTimeUtcArray: events.map((event) => toDotNetUtcDateTime(event.enqueuedTimeUtc)) as unknown as BindingValue,
    PropertiesArray: events.map((event) => event.properties ?? {}),
    SystemPropertiesArray: events.map(systemProperties),
  });
}
