/**
 * Every performative the emulator sends carries all its fields, as Azure's do, so clients that read
 * them by position (Python's pyamqp) work: the field counts are checked on the wire with a plain rhea
 * client, which keeps each received list as it came.
 */
import rhea, { type Connection, type EventContext } from 'rhea';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEventHubsEmulator, type RunningEventHubsEmulator } from '../index.js';
import { DEFAULT_WAIT_MS, quiet, waitFor } from './sdk-helpers.js';

interface Received {
  name: string;
  fields: unknown[];
}
interface Described {
  descriptor?: { value?: unknown };
  value?: unknown;
}

const FIELD_COUNTS = {
  open: 10,
  begin: 8,
  attach: 14,
  flow: 11,
  transfer: 11,
  disposition: 6,
  detach: 3,
  end: 1,
  close: 1,
} satisfies Record<string, number>;
const RECEIVED = ['open', 'begin', 'attach', 'flow', 'transfer', 'disposition', 'detach', 'end', 'close'] as const;

let emulator: RunningEventHubsEmulator;
beforeAll(async () => {
  emulator = await startEventHubsEmulator({ config: { eventHubs: [{ name: 'records', partitionCount: 2 }] }, port: 0, log: quiet });
});
afterAll(async () => {
  await emulator?.close();
});

/** A rhea client connection that records every performative it receives, as received. */
function recordingConnection(received: Received[]): Promise<Connection> {
  const container = rhea.create_container();
  container.on('error', () => undefined);
  const connection = container.connect({ host: '127.0.0.1', port: emulator.port, reconnect: false, username: 'anonymous' } as never);
  const internals = connection as unknown as Record<string, (frame: { performative: { value: unknown[] } }) => void>;
  for (const name of RECEIVED) {
    const original = internals[`on_${name}`];
    if (original === undefined) throw new Error(`rhea's Connection has no on_${name} handler to wrap`);
    const handle = original.bind(connection);
    internals[`on_${name}`] = (frame) => {
      received.push({ name, fields: [...frame.performative.value] });
      handle(frame);
    };
  }
  return new Promise((resolve, reject) => {
    connection.once('connection_open', () => resolve(connection));
    connection.once('disconnected', () => reject(new Error('disconnected')));
  });
}

function described(field: unknown): { code: number; items: unknown[] } {
  const value = field as Described;
  return { code: Number(value.descriptor?.value), items: (value.value as unknown[]) ?? [] };
}

function unwrap(field: unknown): unknown {
  return rhea.types.unwrap(field as never);
}

describe('event hubs emulator: performatives as Azure writes them', () => {
  it('sends open, begin, attach, flow, transfer, disposition, detach, end and close with every field', async () => {
    const received: Received[] = [];
    const connection = await recordingConnection(received);
    // A producer link (flow, disposition), a reader (transfer), a refused link (detach with error).
    const sender = connection.open_sender({ target: { address: 'records/Partitions/0' } } as never);
    await new Promise((resolve) => sender.once('sendable', resolve));
    const delivered = new Promise((resolve) => sender.once('accepted', resolve));
    sender.send({ body: 'hello' });
    await delivered;
    const receiver = connection.open_receiver({
      source: {
        address: 'records/ConsumerGroups/$default/Partitions/0',
        filter: {
          'apache.org:selector-filter:string': rhea.types.wrap_described("amqp.annotation.x-opt-offset > '-1'", 0x0000468c00000004),
        },
      },
      credit_window: 10,
    } as never);
    await new Promise((resolve) => receiver.once('message', (context: EventContext) => resolve(context.message)));
    const refused = connection.open_receiver({ source: { address: 'no-such-hub/ConsumerGroups/$default/Partitions/0' } } as never);
    await new Promise((resolve) => refused.once('receiver_close', resolve));
    const session = refused.session;
    session.close();
    await waitFor(() => received.some((frame) => frame.name === 'end'), DEFAULT_WAIT_MS, 'the end');
    // The emulator shutting down closes the connection with an error.
    const closed = new Promise((resolve) => connection.once('connection_close', resolve).once('connection_error', resolve));
    await emulator.close();
    await closed;

    for (const name of RECEIVED) {
      const frames = received.filter((frame) => frame.name === name);
      expect(frames.length, name).toBeGreaterThan(0);
      for (const frame of frames) expect(frame.fields, name).toHaveLength(FIELD_COUNTS[name]);
    }
    const [open] = received.filter((frame) => frame.name === 'open');
    expect(unwrap(open?.fields[3])).toBe(4999); // channel-max, as Azure announces
    expect(unwrap(open?.fields[4])).toBe(240_000); // idle-time-out, as Azure announces
    for (const begin of received.filter((frame) => frame.name === 'begin')) expect(unwrap(begin.fields[4])).toBe(262_143);
    for (const attach of received.filter((frame) => frame.name === 'attach')) {
      expect(described(attach.fields[5])).toMatchObject({ code: 0x28, items: expect.any(Array) });
      expect(described(attach.fields[5]).items).toHaveLength(11);
      expect(described(attach.fields[6]).items).toHaveLength(7);
      expect(unwrap(attach.fields[3])).not.toBeUndefined(); // snd-settle-mode
      expect(unwrap(attach.fields[4])).toBe(0); // rcv-settle-mode: first
      expect(unwrap(attach.fields[13])).toBeTypeOf('object'); // properties: a map, never null
    }
    const producerAttach = received.find((frame) => frame.name === 'attach' && unwrap(frame.fields[2]) === true)!;
    expect(unwrap(producerAttach.fields[10])).toBe(1_048_576);
    const linkFlows = received.filter((frame) => frame.name === 'flow' && unwrap(frame.fields[4]) !== undefined);
    expect(linkFlows.length).toBeGreaterThan(0);
    for (const flow of linkFlows) expect(unwrap(flow.fields[9])).toBe(false); // echo
    const errorDetach = received.find(
      (frame) => frame.name === 'detach' && frame.fields[2] !== undefined && unwrap(frame.fields[2]) !== null,
    )!;
    expect(described(errorDetach.fields[2])).toMatchObject({ code: 0x1d });
    expect(described(errorDetach.fields[2]).items).toHaveLength(3); // condition, description, info
    const [close] = received.filter((frame) => frame.name === 'close');
    expect(described(close?.fields[0]).items).toHaveLength(3);
  });
});
