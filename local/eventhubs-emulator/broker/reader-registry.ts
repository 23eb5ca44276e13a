/**
 * Owner-level (epoch) rules for the readers of one partition in one consumer group, as the service
 * enforces them: a reader with an owner level at least as high as the current one takes over and the
 * others are disconnected with `amqp:link:stolen`; a lower owner level, or a reader without one while
 * an owner is active, is refused; at most five readers without owner level.
 */
export interface RegisteredReader {
  /** Undefined for a reader without owner level. */
  readonly ownerLevel: number | undefined;
  /** Closes the reader's link with the given AMQP error. */
  disconnect(condition: string, description: string): void;
}

export const MAX_READERS_WITHOUT_OWNER_LEVEL = 5;

export type AdmitResult = { admitted: true } | { admitted: false; condition: string; description: string };

export class ReaderRegistry {
  private owner: RegisteredReader | undefined;
  private readonly plain = new Set<RegisteredReader>();

  constructor(private readonly entityName: string) {}

  admit(reader: RegisteredReader): AdmitResult {
    const level = reader.ownerLevel;
    if (level === undefined) {
      if (this.owner) {
        return {
          admitted: false,
          condition: 'amqp:link:stolen',
          description: `Receiver without an owner level cannot be created on '${this.entityName}' because a receiver with owner level '${this.owner.ownerLevel}' already exists.`,
        };
      }
      if (this.plain.size >= MAX_READERS_WITHOUT_OWNER_LEVEL) {
        return {
          admitted: false,
          condition: 'amqp:resource-limit-exceeded',
          description: `Exceeded the maximum number of allowed receivers per partition in a consumer group which is ${MAX_READERS_WITHOUT_OWNER_LEVEL}. Entity: '${this.entityName}'.`,
        };
      }
      this.plain.add(reader);
      return { admitted: true };
    }
    if (this.owner && level < (this.owner.ownerLevel ?? 0)) {
      return {
        admitted: false,
        condition: 'amqp:link:stolen',
        description: `Receiver with owner level '${level}' cannot be created on '${this.entityName}' because a receiver with a higher owner level '${this.owner.ownerLevel}' already exists.`,
      };
    }
    const description = `New receiver with higher epoch of '${level}' is created hence current receiver is getting disconnected. Entity: '${this.entityName}'.`;
    const previous = this.owner;
    this.owner = reader;
    if (previous) previous.disconnect('amqp:link:stolen', description);
    for (const other of [...this.plain]) other.disconnect('amqp:link:stolen', description);
    this.plain.clear();
    return { admitted: true };
  }

  remove(reader: RegisteredReader): void {
    if (this.owner === reader) this.owner = undefined;
    this.plain.delete(reader);
  }
}
