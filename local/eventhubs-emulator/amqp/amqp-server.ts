import net from 'node:net';
import tls from 'node:tls';
import rhea, { type Connection, type EventContext, type link as Link, type Receiver } from 'rhea';
import type { EventHubBroker } from '../broker/event-hub-broker.js';
import { parseEntityAddress } from '../core/entity-address.js';
import { Conditions } from './amqp-conditions.js';
import { handleCbsRequest, isAuthorized, type CbsRequest } from './cbs-endpoint.js';
import { ConnectionState } from './connection-state.js';
import { attachIncoming, attachOutgoing, stateAttachFields, type AttachContext } from './link-attach.js';
import { handleManagementRequest, type ManagementRequest } from './management-endpoint.js';
import { completePerformative, type RheaPerformative } from './performative-fields.js';
import { replyMessage } from './request-reply.js';

/** The TLS listener's port and PEM-encoded certificate chain and private key. */
export interface TlsListenerOptions {
  port: number;
  cert: string | Buffer;
  key: string | Buffer;
}

export interface AmqpServerOptions {
  broker: EventHubBroker;
  host: string;
  port: number;
  /** A second listener speaking AMQP over TLS (what SDKs that always use TLS dial, port 5671 on Azure). */
  tls?: TlsListenerOptions;
  /** Host name the SDK sees in entity names (`localhost`). */
  namespaceHost: string;
  log: (line: string) => void;
}

/** Largest frame we accept; the SDK honours the value we announce, so anything bigger is garbage. */
export const MAX_FRAME_BYTES = 1_048_576 + 4096;
/** Highest channel a client may begin a session on, as Azure announces it (so at most 5,000 sessions). */
export const CHANNEL_MAX = 4999;
/** Idle time-out Azure announces; rhea closes a connection silent for this long. */
const IDLE_TIMEOUT_MS = 240_000;
/** Credit each producer link gets; bounds the bytes in flight per link to about this many MB. */
const INGEST_CREDIT = 64;
/** A connection refused for the connection limit that never attaches a link is dropped after this. */
const REFUSED_CONNECTION_GRACE_MS = 10_000;

/** Frames that belong to a session: rhea refuses them on a channel without one. */
const SESSION_FRAMES = ['attach', 'detach', 'flow', 'transfer', 'disposition'] as const;

interface ConnectionInternals {
  remote_channel_map: Record<number, unknown>;
  on_end(frame: { channel: number }): void;
  frame_size?: number;
  previous_input?: Buffer | null;
  input(buffer: Buffer): void;
  _write_frame(channel: number | undefined, frame: RheaPerformative | undefined, payload?: Buffer): void;
}

/**
 * The AMQP 1.0 listener. rhea does the protocol; this routes attaches, messages, credit and closes to
 * the link handlers, and makes sure no client can take the process down: every handler runs inside a
 * guard, protocol errors close only the offending connection.
 */
export class AmqpServer {
  private readonly container = rhea.create_container({ id: 'eventhubs-emulator' });
  private readonly states = new Map<Connection, ConnectionState>();
  /** Connections accepted beyond `limits.maxConnections`: they get an open and an error close. */
  private readonly refused = new Set<Connection>();
  private readonly sockets = new Set<net.Socket>();
  private readonly servers: net.Server[] = [];

  constructor(private readonly options: AmqpServerOptions) {
    this.wire();
  }

  /** Starts the plain listener and, when configured, the TLS one; returns their ports. */
  async listen(): Promise<{ port: number; tlsPort?: number }> {
    const port = await this.listenOn(
      net.createServer((socket) => this.accept(socket)),
      this.options.port,
      'amqp',
    );
    const tlsOptions = this.options.tls;
    if (!tlsOptions) return { port };
    let server: tls.Server;
    try {
      server = tls.createServer({ cert: tlsOptions.cert, key: tlsOptions.key }, (socket) => this.accept(socket));
    } catch (error) {
      throw new Error(`The TLS certificate or key cannot be used: ${(error as Error).message}`, { cause: error });
    }
    // By then Node has let go of the peer's address; a client that does not trust the certificate
    // shows up here as a hang-up.
    server.on('tlsClientError', (error) =>
      this.options.log(`TLS handshake failed: ${error.message} (does the client trust the emulator's certificate?)`),
    );
    const tlsPort = await this.listenOn(server, tlsOptions.port, 'amqps');
    return { port, tlsPort };
  }

  private async listenOn(server: net.Server, port: number, scheme: string): Promise<number> {
    this.servers.push(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (error) => this.options.log(`${scheme} listener error: ${error.message}`));
    return (server.address() as net.AddressInfo).port;
  }

  private accept(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => this.sockets.delete(socket));
    const peer = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // A peer that just goes away is what the AMQP layer reports; TLS failures are worth a line.
      if (socket instanceof tls.TLSSocket && error.code !== 'ECONNRESET' && error.code !== 'EPIPE') {
        this.options.log(`TLS connection with ${peer} failed: ${error.message}`);
      }
    });
    const connection = this.container.create_connection({
      id: `conn-${socket.remotePort}`,
      container_id: 'eventhubs-emulator',
      max_frame_size: MAX_FRAME_BYTES,
      channel_max: CHANNEL_MAX,
      idle_time_out: IDLE_TIMEOUT_MS,
      autoaccept: false,
      autosettle: true,
      credit_window: INGEST_CREDIT,
      properties: { product: 'ScalableETL Event Hubs emulator' },
    } as never) as Connection;
    this.guardFrameSize(connection);
    this.writeCompleteFrames(connection);
    this.tolerateFramesAfterEnd(connection);
    if (this.states.size >= this.options.broker.config.limits.maxConnections) {
      // Its attaches are refused, then it is closed (see refusedForLimits).
      this.refused.add(connection);
      setTimeout(() => socket.destroy(), REFUSED_CONNECTION_GRACE_MS).unref();
    } else {
      this.states.set(connection, new ConnectionState(connection));
      this.options.broker.metrics.openConnections++;
    }
    (connection as unknown as { accept(socket: net.Socket): void }).accept(socket);
  }

  /**
   * Python's client ends a session and then detaches the links it still had on it. rhea calls that a
   * protocol error and drops the socket, so the client never gets its close answered; Azure lets it
   * pass. Frames on a channel the client itself ended are ignored; other unknown channels stay errors.
   */
  private tolerateFramesAfterEnd(connection: Connection): void {
    const internals = connection as unknown as ConnectionInternals & Record<string, (frame: { channel: number }) => void>;
    const endedByPeer = new Set<number>();
    const onEnd = internals.on_end.bind(connection);
    internals.on_end = (frame) => {
      onEnd(frame);
      endedByPeer.add(frame.channel);
    };
    for (const name of SESSION_FRAMES) {
      const original = internals[`on_${name}`];
      // rhea's frame handlers are internals: a version without one must fail here, not drop frames.
      if (original === undefined) throw new Error(`rhea's Connection has no on_${name} handler to wrap`);
      const handle = original.bind(connection);
      internals[`on_${name}`] = (frame) => {
        if (internals.remote_channel_map[frame.channel] === undefined && endedByPeer.has(frame.channel)) return;
        endedByPeer.delete(frame.channel);
        handle(frame);
      };
    }
  }

  /** Every performative leaves with all its fields, as Azure writes them (see performative-fields.ts). */
  private writeCompleteFrames(connection: Connection): void {
    const internals = connection as unknown as ConnectionInternals;
    const write = internals._write_frame.bind(connection);
    internals._write_frame = (channel, frame, payload) => {
      completePerformative(frame);
      write(channel, frame, payload);
    };
  }

  /** rhea buffers whatever frame size a peer announces; refuse anything above our limit before it does. */
  private guardFrameSize(connection: Connection): void {
    const internals = connection as unknown as ConnectionInternals;
    const input = internals.input.bind(connection);
    internals.input = (buffer: Buffer) => {
      input(buffer);
      const pending = internals.frame_size ?? 0;
      const leftover = internals.previous_input?.length ?? 0;
      if (pending > MAX_FRAME_BYTES || leftover > MAX_FRAME_BYTES) {
        this.options.log(`closing connection ${connection.options.id}: frame of ${pending || leftover} bytes exceeds ${MAX_FRAME_BYTES}`);
        internals.frame_size = undefined;
        internals.previous_input = null;
        (connection as unknown as { chunks: unknown }).chunks = null;
        this.abort(connection, Conditions.framingError, `Frame size exceeds the maximum of ${MAX_FRAME_BYTES} bytes.`);
      }
    };
  }

  private abort(connection: Connection, condition: string, description: string): void {
    try {
      connection.close({ condition, description });
    } catch {
      // the socket may already be gone
    }
    const socket = (connection as unknown as { socket?: net.Socket }).socket;
    setTimeout(() => socket?.destroy(), 200).unref();
  }

  private attachContext(state: ConnectionState): AttachContext {
    return {
      broker: this.options.broker,
      state,
      namespaceHost: this.options.namespaceHost,
      requireToken: this.options.broker.config.sasKeys !== undefined,
      log: this.options.log,
    };
  }

  /**
   * Refuses an attach that a limit does not admit: on a connection beyond `limits.maxConnections`
   * (which is closed after it), or beyond `limits.maxLinksPerConnection`. The attach is answered and
   * detached with `amqp:resource-limit-exceeded`, so the SDK's pending operation fails at once with
   * QuotaExceededError. (Closing the connection right after its open, the other way to refuse it,
   * leaves the JavaScript SDK waiting out its 60 s operation timeout on a connection it thinks is open.)
   */
  private refusedForLimits(link: Link, state: ConnectionState | undefined): boolean {
    const { limits } = this.options.broker.config;
    const connection = link.connection;
    let error: { condition: string; description: string } | undefined;
    const { limitRefusals } = this.options.broker.metrics;
    if (this.refused.has(connection)) {
      limitRefusals.connections++;
      error = {
        condition: Conditions.resourceLimitExceeded,
        description:
          `The maximum number of connections (${limits.maxConnections}) for the namespace has been reached. ` +
          'Close connections that are not in use, or raise limits.maxConnections.',
      };
    } else if (state && state.handlers.size >= limits.maxLinksPerConnection) {
      limitRefusals.links++;
      this.options.log(
        `refused a link on ${connection.options.id}: ${limits.maxLinksPerConnection} links are open on it (limits.maxLinksPerConnection)`,
      );
      error = {
        condition: Conditions.resourceLimitExceeded,
        description:
          `Cannot open more than ${limits.maxLinksPerConnection} links on one connection. ` +
          'Close links that are not in use, or raise limits.maxLinksPerConnection.',
      };
    }
    if (!error) return false;
    stateAttachFields(link as Receiver);
    link.set_source({ address: link.source?.address });
    link.set_target({ address: link.target?.address });
    link.close(error);
    if (this.refused.has(connection)) connection.close(error);
    return true;
  }

  /** With SAS verification on, management needs a token put for the hub on this connection. */
  private managementReply(request: ManagementRequest, state: ConnectionState): object {
    const hub = request.application_properties?.name;
    if (this.options.broker.config.sasKeys && !isAuthorized(state, typeof hub === 'string' ? hub : '')) {
      return replyMessage(
        request,
        401,
        `Unauthorized access. A valid token was not put for '${String(hub)}'.`,
        undefined,
        Conditions.unauthorized,
      );
    }
    return handleManagementRequest(request, this.options.broker, this.options.namespaceHost);
  }

  /** Runs a handler; a throw closes only the link (or connection) it concerns. */
  private guard(what: string, link: Link | undefined, context: EventContext, run: () => void): void {
    try {
      run();
    } catch (error) {
      this.options.log(`${what} failed on ${context.connection.options.id}: ${(error as Error).stack ?? String(error)}`);
      try {
        if (link) link.close({ condition: Conditions.internalError, description: `The emulator failed to handle ${what}.` });
        else this.abort(context.connection, Conditions.internalError, `The emulator failed to handle ${what}.`);
      } catch {
        // nothing more to do
      }
    }
  }

  /** Routes every rhea event to the step that handles it. */
  private wire(): void {
    this.wireAttaches();
    this.wireMessages();
    this.wireCredit();
    this.wireLinkCloses();
    this.wireSessions();
    this.wireConnections();
  }

  /** A client's sender attaches our receiver (ingest), its receiver attaches our sender (delivery). */
  private wireAttaches(): void {
    const { broker, log } = this.options;
    this.container.on('receiver_open', (context: EventContext) => {
      const receiver = context.receiver!;
      const state = this.states.get(context.connection);
      this.guard('attach', receiver, context, () => {
        if (this.refusedForLimits(receiver, state)) return;
        if (!state) return;
        const result = attachIncoming(receiver, this.attachContext(state));
        if ('error' in result) {
          log(`refused sender link '${receiver.name}' to '${String(receiver.target?.address)}': ${result.error.condition}`);
          receiver.close(result.error);
          return;
        }
        state.add(receiver, result.handler);
        broker.metrics.openLinks++;
      });
    });

    this.container.on('sender_open', (context: EventContext) => {
      const sender = context.sender!;
      const state = this.states.get(context.connection);
      this.guard('attach', sender, context, () => {
        if (this.refusedForLimits(sender, state)) return;
        if (!state) return;
        const result = attachOutgoing(sender, this.attachContext(state));
        if ('error' in result) {
          log(`refused receiver link '${sender.name}' from '${String(sender.source?.address)}': ${result.error.condition}`);
          sender.close(result.error);
          return;
        }
        state.add(sender, result.handler);
        broker.metrics.openLinks++;
        // Attach goes out on the next tick; only then may transfers follow.
        process.nextTick(() => result.handler.onSendable?.());
      });
    });
  }

  /** A message on `$cbs` or `$management` is a request with a reply; any other goes to its link's handler. */
  private wireMessages(): void {
    this.container.on('message', (context: EventContext) => {
      const receiver = context.receiver!;
      const state = this.states.get(context.connection);
      const delivery = context.delivery!;
      this.guard('a message', receiver, context, () => {
        if (!state) return;
        const address = parseEntityAddress(receiver.target?.address);
        if (address?.kind === 'cbs' || address?.kind === 'management') {
          delivery.accept();
          this.replyToRequest(address.kind, context, state);
          return;
        }
        const handler = state.handlers.get(receiver);
        const format = (context as unknown as { format?: number }).format ?? 0;
        handler?.onMessage?.(context.message, format, delivery);
      });
    });
  }

  /** Answers a `$cbs` or `$management` request on the reply link the client named. */
  private replyToRequest(kind: 'cbs' | 'management', context: EventContext, state: ConnectionState): void {
    const { broker, log } = this.options;
    const request = context.message as unknown as CbsRequest & ManagementRequest;
    const reply =
      kind === 'cbs' ? handleCbsRequest(request, state, broker.config.sasKeys, broker.clock()) : this.managementReply(request, state);
    const channel = state.replyChannelFor(kind, request.reply_to, context.receiver!.session);
    if (!channel) {
      log(
        `no reply link ${request.reply_to === undefined ? `for $${kind} on this connection` : `'${request.reply_to}'`}; the reply is dropped`,
      );
      return;
    }
    channel.send(reply);
  }

  private wireCredit(): void {
    this.container.on('sendable', (context: EventContext) => {
      const sender = context.sender!;
      this.guard('credit', sender, context, () => this.states.get(context.connection)?.handlers.get(sender)?.onSendable?.());
    });

    this.container.on('sender_draining', (context: EventContext) => {
      const sender = context.sender!;
      this.guard('drain', sender, context, () => this.states.get(context.connection)?.handlers.get(sender)?.onDrain?.());
    });
  }

  private wireLinkCloses(): void {
    const { broker, log } = this.options;
    const closeLink = (context: EventContext) => {
      const link = (context.sender ?? context.receiver) as Link | undefined;
      const state = this.states.get(context.connection);
      if (link && state?.remove(link)) broker.metrics.openLinks--;
    };
    this.container.on('sender_close', closeLink);
    this.container.on('receiver_close', closeLink);
    const condition = (error: unknown) => String((error as { condition?: string } | undefined)?.condition ?? '');
    this.container.on('sender_error', (context: EventContext) =>
      log(`receiver link '${context.sender?.name}' closed by client: ${condition(context.sender?.error)}`),
    );
    this.container.on('receiver_error', (context: EventContext) =>
      log(`sender link '${context.receiver?.name}' closed by client: ${condition(context.receiver?.error)}`),
    );
  }

  /** Sessions above channel-max close the connection; a closed session takes its links with it. */
  private wireSessions(): void {
    const { broker, log } = this.options;
    this.container.on('session_open', (context: EventContext) => {
      const channel = (context.session as unknown as { remote: { channel?: number } }).remote.channel ?? 0;
      if (channel > CHANNEL_MAX) {
        log(`closing connection ${context.connection.options.id}: session on channel ${channel} above channel-max ${CHANNEL_MAX}`);
        this.abort(context.connection, Conditions.framingError, `Channel ${channel} is above the channel-max of ${CHANNEL_MAX}.`);
      }
    });

    this.container.on('session_close', (context: EventContext) => {
      const state = this.states.get(context.connection);
      if (!state) return;
      for (const link of [...state.handlers.keys()]) {
        if (link.session === context.session && state.remove(link)) broker.metrics.openLinks--;
      }
    });
    this.container.on('session_error', (context: EventContext) => log(`session closed with error on ${context.connection.options.id}`));
  }

  /** Connection open (refusals are logged), close and errors; a closed connection's links are counted off. */
  private wireConnections(): void {
    const container = this.container;
    const { broker, log } = this.options;
    container.on('connection_open', (context: EventContext) => {
      if (!this.refused.has(context.connection)) return;
      log(
        `refusing connection ${context.connection.options.id}: ${broker.config.limits.maxConnections} connections are open (limits.maxConnections)`,
      );
    });

    const dropConnection = (context: EventContext) => {
      this.refused.delete(context.connection);
      const state = this.states.get(context.connection);
      if (!state) return;
      this.states.delete(context.connection);
      broker.metrics.openLinks -= state.removeAll();
      broker.metrics.openConnections--;
    };
    container.on('connection_close', (context: EventContext) => {
      dropConnection(context);
    });
    container.on('disconnected', (context: EventContext) => {
      dropConnection(context);
    });
    container.on('connection_error', (context: EventContext) => {
      const error = context.connection.error as { description?: string } | undefined;
      log(`connection ${context.connection.options.id} error: ${String(error?.description ?? error ?? '')}`);
    });
    container.on('protocol_error', (error: unknown) => {
      log(`protocol error, closing the connection: ${String((error as Error)?.message ?? error)}`);
    });
    container.on('error', (error: unknown) => {
      log(`amqp error: ${String((error as Error)?.message ?? error)}`);
    });
  }

  async close(): Promise<void> {
    const servers = this.servers.splice(0);
    for (const connection of [...this.states.keys(), ...this.refused]) {
      try {
        connection.close({ condition: 'amqp:connection:forced', description: 'The emulator is shutting down.' });
      } catch {
        // already closing
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    for (const socket of this.sockets) socket.destroy();
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  }
}
