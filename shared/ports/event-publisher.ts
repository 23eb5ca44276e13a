/** Publishing events to a hub. Adapter: `EventHubsEventPublisher`. */

export interface OutgoingEvent {
  /** JSON-serializable body, or its JSON text as UTF-8 bytes (sent as is, received as the same value). */
  readonly body: unknown;
  /** Route by key (stable hash) … */
  readonly partitionKey?: string;
  /** … or to one partition. With neither, the service spreads events round robin. */
  readonly partitionId?: string;
  readonly properties?: Readonly<Record<string, string | number | boolean>>;
}

export interface EventPublisher {
  /** The hub's partition ids, read once and cached. */
  partitionIds(): Promise<readonly string[]>;
  /** Send all events; resolves when the service accepted every one, rejects otherwise. */
  publish(events: readonly OutgoingEvent[]): Promise<void>;
  close(): Promise<void>;
}
