/** An event as a trigger hands it to a handler, whatever host delivered it. */
export interface IncomingEvent {
  /** The body as the Functions host converts it (JSON parsed when it is JSON, else text). */
  readonly body: unknown;
  readonly properties?: Readonly<Record<string, unknown>>;
  readonly partitionKey?: string | null;
  readonly partitionId?: string;
  readonly sequenceNumber?: number;
}

/** Zip the arrays a `cardinality: 'many'` Event Hubs trigger passes into one object per event. */
export function incomingEventsFromTrigger(
  bodies: readonly unknown[],
  triggerMetadata: Readonly<Record<string, unknown>> | undefined,
): IncomingEvent[] {
  const properties = (triggerMetadata?.propertiesArray as Record<string, unknown>[] | undefined) ?? [];
  const partitionKeys = (triggerMetadata?.partitionKeyArray as (string | null)[] | undefined) ?? [];
  const sequenceNumbers = (triggerMetadata?.sequenceNumberArray as number[] | undefined) ?? [];
  const partitionId = (triggerMetadata?.partitionContext as { partitionId?: string } | undefined)?.partitionId;
  return bodies.map((body, index) => ({
    body,
    properties: properties[index],
    partitionKey: partitionKeys[index] ?? null,
    partitionId,
    sequenceNumber: sequenceNumbers[index],
  }));
}
