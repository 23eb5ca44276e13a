import { createHmac } from 'node:crypto';
import net from 'node:net';
import { EventHubProducerClient } from '@azure/event-hubs';
import rhea, { type Connection, type EventContext } from 'rhea';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEventHubsEmulator, type RunningEventHubsEmulator } from '../index.js';
import { DEFAULT_WAIT_MS, waitFor } from './sdk-helpers.js';

// Bad input cannot come from the SDK, so these tests speak raw TCP or plain rhea; each ends by
// proving with the SDK that the server still serves everyone else.
let emulator: RunningEventHubsEmulator;
const lines: string[] = [];

beforeAll(async () => {
  emulator = await startEventHubsEmulator({
    config: { eventHubs: [{ name: 'records', partitionCount: 2 }] },
    port: 0,
    metricsPort: 0,
    log: (line) => lines.push(line),
  });
});
afterAll(async () => {
  await emulator?.close();
});

async function stillServes(): Promise<void> {
  const producer = new EventHubProducerClient(emulator.connectionString, 'records');
  try {
    await producer.sendBatch([{ body: 'still alive' }], { partitionId: '0' });
    expect((await producer.getEventHubProperties()).partitionIds).toEqual(['0', '1']);
  } finally {
    await producer.close();
  }
}

/** Writes bytes on a raw socket and resolves when the server closes it. */
function closedAfter(bytes: Buffer[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(emulator.port, '127.0.0.1', () => {
      for (const chunk of bytes) socket.write(chunk);
    });
    socket.on('data', () => undefined);
    socket.on('error', () => undefined);
    socket.on('close', () => resolve());
    setTimeout(() => reject(new Error('server did not close the connection')), DEFAULT_WAIT_MS).unref();
  });
}

const AMQP_HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0x00, 0x01, 0x00, 0x00]);
const SASL_HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0x03, 0x01, 0x00, 0x00]);

function connectRhea(): Promise<Connection> {
  const container = rhea.create_container();
  container.on('error', () => undefined);
  const connection = container.connect({ host: '127.0.0.1', port: emulator.port, reconnect: false, username: 'anonymous' } as never);
  return new Promise((resolve, reject) => {
    connection.once('connection_open', () => resolve(connection));
    connection.once('disconnected', () => reject(new Error('disconnected')));
  });
}

async function openMetric(name: string): Promise<number> {
  const text = await (await fetch(`${emulator.metricsUrl}/metrics`)).text();
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name} `));
  return Number(line?.split(' ')[1]);
}

describe('event hubs emulator: bad input never crashes the server', () => {
  it('closes connections that send garbage, a wrong protocol header or an oversized frame', async () => {
    await closedAfter([Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')]);
    await closedAfter([Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256))]);
    // A valid header, then a frame that claims 200 MB.
    const huge = Buffer.alloc(8);
    huge.writeUInt32BE(200 * 1024 * 1024, 0);
    huge.writeUInt8(2, 4);
    await closedAfter([SASL_HEADER, huge, Buffer.alloc(64 * 1024)]);
    await closedAfter([AMQP_HEADER, Buffer.from([0, 0, 0, 12, 2, 0, 0, 0, 0xff, 0xff, 0xff, 0xff])]);
    expect(lines.some((line) => /exceeds|protocol|error/i.test(line))).toBe(true);
    await stillServes();
  });

  it('detaches links to unknown addresses and with unsupported filters, and keeps the connection', async () => {
    const connection = await connectRhea();
    try {
      const detached = (options: Record<string, unknown>) =>
        new Promise<string>((resolve) => {
          const link = 'target' in options ? connection.open_sender(options as never) : connection.open_receiver(options as never);
          link.on(('target' in options ? 'sender_close' : 'receiver_close') as never, (context: EventContext) => {
            const error = (context.sender ?? context.receiver)?.error as { condition?: string } | undefined;
            resolve(String(error?.condition));
          });
        });
      expect(await detached({ target: { address: 'records/bogus/path' } })).toBe('amqp:not-found');
      expect(await detached({ target: { address: 'missing-hub' } })).toBe('amqp:not-found');
      expect(await detached({ source: { address: 'records/ConsumerGroups/$default/Partitions/9' } })).toBe(
        'com.microsoft:argument-out-of-range',
      );
      expect(
        await detached({
          source: {
            address: 'records/ConsumerGroups/$default/Partitions/0',
            filter: { 'apache.org:xquery-filter:string': rhea.types.wrap_described("x-opt-offset > '1'", 0x0000468c00000099) },
          },
        }),
      ).toBe('amqp:not-implemented');
      expect(
        await detached({
          source: {
            address: 'records/ConsumerGroups/$default/Partitions/0',
            filter: { 'apache.org:selector-filter:string': rhea.types.wrap_described('1 = 1 OR DROP TABLE', 0x0000468c00000004) },
          },
        }),
      ).toBe('amqp:not-implemented');
      // The same connection still works: a proper sender gets its transfers accepted.
      const sender = connection.open_sender({ target: { address: 'records/Partitions/1' } });
      const outcome = await new Promise<string>((resolve) => {
        sender.once('sendable', () => sender.send({ body: 'raw rhea' }));
        sender.once('accepted', () => resolve('accepted'));
        sender.once('rejected', () => resolve('rejected'));
      });
      expect(outcome).toBe('accepted');
    } finally {
      connection.close();
    }
    await stillServes();
  });

  it('rejects oversized and malformed transfers with the conditions the SDK maps', async () => {
    const connection = await connectRhea();
    try {
      const sender = connection.open_sender({ target: { address: 'records' } });
      await new Promise((resolve) => sender.once('sendable', resolve));
      const outcome = (payload: Buffer) =>
        new Promise<string>((resolve) => {
          const delivery = sender.send(payload, undefined, 0x80013700);
          const check = (context: EventContext) => {
            if (context.delivery !== delivery) return;
            const state = context.delivery?.remote_state as { error?: { condition?: string } } | undefined;
            resolve(String(state?.error?.condition ?? 'accepted'));
          };
          sender.on('rejected', check);
          sender.on('accepted', check);
        });
      expect(await outcome(Buffer.alloc(1_200_000, 1))).toBe('amqp:link:message-size-exceeded');
      expect(await outcome(Buffer.from([0x00, 0x53, 0x75, 0xb0, 0xff, 0xff, 0xff, 0xff, 1, 2, 3]))).toBe('amqp:decode-error');
    } finally {
      connection.close();
    }
    await stillServes();
  });

  it('frees reader slots and links when a client disappears without closing', async () => {
    const before = await openMetric('eventhubs_emulator_open_connections');
    const connection = await connectRhea();
    const address = 'records/ConsumerGroups/$default/Partitions/1';
    await new Promise((resolve) =>
      connection
        .open_receiver({ source: { address }, properties: { 'com.microsoft:epoch': rhea.types.wrap_long(5) } } as never)
        .once('receiver_open', resolve),
    );
    expect(await openMetric('eventhubs_emulator_open_connections')).toBe(before + 1);
    // Abrupt: the socket dies, no close frames.
    (connection as unknown as { socket: net.Socket }).socket.destroy();
    await waitFor(
      async () => (await openMetric('eventhubs_emulator_open_connections')) === before,
      DEFAULT_WAIT_MS,
      'the connection to be dropped',
    );
    // The owner-level slot is free again: a reader with a lower owner level is admitted.
    const next = await connectRhea();
    try {
      const opened = await new Promise<boolean>((resolve) => {
        const receiver = next.open_receiver({
          source: { address },
          properties: { 'com.microsoft:epoch': rhea.types.wrap_long(1) },
        } as never);
        receiver.once('receiver_open', () => resolve(true));
        receiver.once('receiver_close', () => resolve(false));
      });
      expect(opened).toBe(true);
    } finally {
      next.close();
    }
    await stillServes();
  });
});

describe('event hubs emulator: SAS verification (optional)', () => {
  it('accepts tokens signed with a configured key and refuses bad or expired ones', async () => {
    const secured = await startEventHubsEmulator({
      config: { eventHubs: [{ name: 'records', partitionCount: 1 }], sasKeys: { RootManageSharedAccessKey: 'right-key' } },
      port: 0,
      log: () => undefined,
    });
    const endpoint = `sb://localhost:${secured.port}`;
    const good = secured.connectionString.replace('SAS_KEY_VALUE', 'right-key');
    const bad = secured.connectionString.replace('SAS_KEY_VALUE', 'wrong-key');
    const resource = encodeURIComponent(`${endpoint}/records`);
    const expiry = Math.floor(Date.now() / 1000) - 60;
    const signature = encodeURIComponent(createHmac('sha256', 'right-key').update(`${resource}\n${expiry}`).digest('base64'));
    const expired = `Endpoint=${endpoint};SharedAccessSignature=SharedAccessSignature sr=${resource}&sig=${signature}&se=${expiry}&skn=RootManageSharedAccessKey;UseDevelopmentEmulator=true;EntityPath=records`;
    try {
      // Without a put-token on the connection, management READ is refused.
      const container = rhea.create_container();
      container.on('error', () => undefined);
      const raw = container.connect({ host: '127.0.0.1', port: secured.port, reconnect: false, username: 'anonymous' } as never);
      try {
        const status = await new Promise<unknown>((resolve) => {
          const replies = raw.open_receiver({
            name: 'reply-1',
            source: { address: '$management' },
            target: { address: 'reply-1' },
          } as never);
          replies.on('message', (context: EventContext) => resolve(context.message?.application_properties?.['status-code']));
          const requests = raw.open_sender({ target: { address: '$management' } });
          requests.once('sendable', () =>
            requests.send({
              message_id: 'm1',
              reply_to: 'reply-1',
              application_properties: { operation: 'READ', name: 'records', type: 'com.microsoft:eventhub' },
              body: [],
            } as never),
          );
        });
        expect(status).toBe(401);
      } finally {
        raw.close();
      }

      const ok = new EventHubProducerClient(good, 'records');
      await ok.sendBatch([{ body: 'signed' }]);
      expect((await ok.getPartitionProperties('0')).lastEnqueuedSequenceNumber).toBe(0);
      await ok.close();
      for (const connectionString of [bad, expired]) {
        const producer =
          connectionString === expired
            ? new EventHubProducerClient(connectionString, { retryOptions: { maxRetries: 0 } })
            : new EventHubProducerClient(connectionString, 'records', { retryOptions: { maxRetries: 0 } });
        await expect(producer.getEventHubProperties()).rejects.toMatchObject({ code: 'UnauthorizedError' });
        await expect(producer.sendBatch([{ body: 'unsigned' }])).rejects.toMatchObject({ code: 'UnauthorizedError' });
        await producer.close();
      }
    } finally {
      await secured.close();
    }
  });
});

describe('event hubs emulator: credit-based flow control', () => {
  it('sends a slow consumer only as many events as it granted credit for', async () => {
    const producer = new EventHubProducerClient(emulator.connectionString, 'records');
    const connection = await connectRhea();
    try {
      const start = (await producer.getPartitionProperties('1')).lastEnqueuedSequenceNumber;
      await producer.sendBatch(
        Array.from({ length: 100 }, (_, i) => ({ body: `slow-${i}` })),
        { partitionId: '1' },
      );
      const received: unknown[] = [];
      const receiver = connection.open_receiver({
        source: {
          address: 'records/ConsumerGroups/$default/Partitions/1',
          filter: {
            'apache.org:selector-filter:string': rhea.types.wrap_described(
              `amqp.annotation.x-opt-sequence-number > '${start}'`,
              0x0000468c00000004,
            ),
          },
        },
        credit_window: 0,
        autoaccept: true,
      } as never);
      receiver.on('message', (context: EventContext) => received.push(context.message?.body));
      await new Promise((resolve) => receiver.once('receiver_open', resolve));
      receiver.add_credit(5);
      await waitFor(() => received.length >= 5, DEFAULT_WAIT_MS, 'five events');
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(received.length).toBe(5);
      receiver.add_credit(10);
      await waitFor(() => received.length >= 15, DEFAULT_WAIT_MS, 'fifteen events');
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(received.length).toBe(15);
      expect(received.map((body) => Buffer.from((body as { content: Buffer }).content).toString())).toEqual(
        Array.from({ length: 15 }, (_, i) => `"slow-${i}"`),
      );
    } finally {
      connection.close();
      await producer.close();
    }
  });
});

describe('event hubs emulator: drain', () => {
  it('answers a drain request by sending what there is and giving back the rest of the credit', async () => {
    const producer = new EventHubProducerClient(emulator.connectionString, 'records');
    const connection = await connectRhea();
    try {
      const start = (await producer.getPartitionProperties('0')).lastEnqueuedSequenceNumber;
      await producer.sendBatch([{ body: 'd1' }, { body: 'd2' }], { partitionId: '0' });
      const receiver = connection.open_receiver({
        source: {
          address: 'records/ConsumerGroups/$default/Partitions/0',
          filter: {
            'apache.org:selector-filter:string': rhea.types.wrap_described(
              `amqp.annotation.x-opt-sequence-number > '${start}'`,
              0x0000468c00000004,
            ),
          },
        },
        credit_window: 0,
      } as never);
      let received = 0;
      receiver.on('message', () => received++);
      await new Promise((resolve) => receiver.once('receiver_open', resolve));
      receiver.add_credit(10);
      const drained = new Promise((resolve) => receiver.once('receiver_drained', resolve));
      receiver.drain_credit();
      await drained;
      expect(received).toBe(2);
      expect((receiver as unknown as { credit: number }).credit).toBe(0);
    } finally {
      connection.close();
      await producer.close();
    }
  });
});

describe('event hubs emulator: closing a reader while transfers wait for the session window', () => {
  // Regression: transfers the server still held for a reader (credit beyond the client's session
  // window) went out after the detach; the client saw a transfer on a handle it no longer knew and
  // dropped the whole connection, taking every other link on it down.
  it('sends nothing for a link after its detach, so the connection survives', async () => {
    const producer = new EventHubProducerClient(emulator.connectionString, 'records');
    await producer.sendBatch(
      Array.from({ length: 400 }, (_, i) => ({ body: `w${i}` })),
      { partitionId: '1' },
    );
    await producer.close();
    const container = rhea.create_container();
    const errors: unknown[] = [];
    container.on('error', (error: unknown) => errors.push(error));
    const connection = container.connect({
      host: '127.0.0.1',
      port: emulator.port,
      reconnect: false,
      username: 'anonymous',
      session_buffer_size: { incoming: 4, outgoing: 64 },
    } as never);
    let disconnected = false;
    connection.on('disconnected', () => (disconnected = true));
    const source = {
      address: 'records/ConsumerGroups/$default/Partitions/1',
      filter: { 'apache.org:selector-filter:string': rhea.types.wrap_described("amqp.annotation.x-opt-offset > '-1'", 0x0000468c00000004) },
    };
    try {
      const within = async <T>(promise: Promise<T>, what: string): Promise<T> => {
        let timer: NodeJS.Timeout | undefined;
        const deadline = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no ${what} (disconnected: ${disconnected})`)), DEFAULT_WAIT_MS);
        });
        try {
          return await Promise.race([promise, deadline]);
        } finally {
          clearTimeout(timer);
        }
      };
      for (let round = 0; round < 5; round++) {
        const receiver = connection.open_receiver({ source, credit_window: 0 } as never);
        await within(new Promise((resolve) => receiver.once('receiver_open', resolve)), 'attach');
        receiver.add_credit(400);
        await within(new Promise((resolve) => receiver.once('message', resolve)), 'message');
        receiver.close();
        await within(new Promise((resolve) => receiver.once('receiver_close', resolve)), 'detach');
      }
      // The connection still works: one more reader gets all 400.
      const last = connection.open_receiver({ source, credit_window: 500 } as never);
      let count = 0;
      last.on('message', () => count++);
      await waitFor(() => count >= 400 || disconnected, DEFAULT_WAIT_MS, 'the last reader').catch(() => undefined);
      expect(disconnected).toBe(false);
      expect(errors).toEqual([]);
      expect(count).toBeGreaterThanOrEqual(400);
    } finally {
      connection.close();
    }
  });
});
