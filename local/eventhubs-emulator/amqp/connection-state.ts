import type { Connection, link as Link, Sender, Session } from 'rhea';

/** What a link does when the connection routes an event to it. */
export interface LinkHandler {
  onMessage?(message: unknown, format: number, delivery: DeliveryLike): void;
  onSendable?(): void;
  /** The client asked to drain its credit: send what there is, then give the rest back. */
  onDrain?(): void;
  /** Releases what the link holds (reader slots, listeners); called once. */
  onClose(): void;
}

/** The slice of a rhea delivery the handlers use. */
export interface DeliveryLike {
  accept(): void;
  reject(error: { condition: string; description: string }): void;
}

/** The request/response nodes a client talks to. */
export type ReplyNode = 'cbs' | 'management';

/** A request/response reply link ($cbs, $management): queues replies until the client gives credit. */
export class ReplyChannel implements LinkHandler {
  private readonly queue: object[] = [];
  constructor(
    readonly sender: Sender,
    readonly node: ReplyNode,
  ) {}

  send(message: object): void {
    this.queue.push(message);
    this.onSendable();
  }

  onSendable(): void {
    while (this.queue.length > 0 && this.sender.sendable()) this.sender.send(this.queue.shift() as never);
  }

  onClose(): void {
    this.queue.length = 0;
  }
}

/** Per-connection bookkeeping: reply links, open link handlers, granted tokens. */
export class ConnectionState {
  private readonly replyChannels = new Set<ReplyChannel>();
  readonly handlers = new Map<Link, LinkHandler>();
  /** Audience paths (lower case, without scheme and host) that a valid token was put for. */
  readonly authorizedPaths = new Set<string>();
  constructor(readonly connection: Connection) {}

  add(link: Link, handler: LinkHandler): void {
    this.handlers.set(link, handler);
    if (handler instanceof ReplyChannel) this.replyChannels.add(handler);
  }

  /**
   * Where the reply to a request on `node` goes: the link that `replyTo` names (by link name or
   * target address), as JavaScript, .NET, Java and Go clients set it; without a `reply-to` (Python's
   * pyamqp sends none), the reply link to the same node on the request's session, else on the connection.
   */
  replyChannelFor(node: ReplyNode, replyTo: string | undefined, session: Session): ReplyChannel | undefined {
    let sameNode: ReplyChannel | undefined;
    for (const channel of this.replyChannels) {
      if (replyTo !== undefined) {
        if (channel.sender.name === replyTo || channel.sender.target?.address === replyTo) return channel;
        continue;
      }
      if (channel.node !== node) continue;
      if (channel.sender.session === session) return channel;
      sameNode ??= channel;
    }
    return sameNode;
  }

  /** Runs the link's cleanup once; returns whether there was something to clean. */
  remove(link: Link): boolean {
    const handler = this.handlers.get(link);
    if (!handler) return false;
    this.handlers.delete(link);
    if (handler instanceof ReplyChannel) this.replyChannels.delete(handler);
    try {
      handler.onClose();
    } catch {
      // cleanup must never throw into rhea's event loop
    }
    return true;
  }

  removeAll(): number {
    let count = 0;
    for (const link of [...this.handlers.keys()]) if (this.remove(link)) count++;
    return count;
  }
}
