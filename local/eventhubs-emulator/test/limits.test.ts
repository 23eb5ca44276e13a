/**
 * Resource limits: connections, links per connection, event bytes in memory, and the bytes a reader
 * may leave unread in a socket. Each limit is answered with the AMQP error Azure gives, so the SDK
 * raises its usual error.
 */
import { EventHubProducerClient } from '@azure/event-hubs';
import rhea, { type Connection } from 'rhea';
import { describe, expect, it } from 'vitest';
import { elementAt } from '../core/element-at.js';
import { AmqpServer } from '../amqp/amqp-server.js';
import { EventHubBroker } from '../broker/event-hub-broker.js';
import { normalizeConfig } from '../config/emulator-config.js';
import { emulatorConnectionString, startEventHubsEmulator, type EmulatorConfig } from '../index.js';
import { MemoryPartitionLog } from '../storage/memory-partition-log.js';
import type { EventRecord, PartitionLog } from '../storage/partition-log.js';
import { DEFAULT_WAIT_MS, quiet, waitFor } from './sdk-helpers.js';

const NO_RETRIES = { retryOptions: { maxRetries: 0 } };

function hubs(limits: EmulatorConfig['limits']): EmulatorConfig {
  return { eventHubs: [{ name: 'records', partitionCount: 2 }], limits };
}

function connectRhea(port: number): Promise<Connection> {
  const container = rhea.create_container();
  container.on('error', () => undefined);
  const connection = container.connect({ host: '127.0.0.1', port, reconnect: false, username: 'anonymous' } as never);
  return new Promise((resolve, reject) => {
    connection.once('connection_open', () => resolve(connection));
    connection.once('disconnected', () => reject(new Error('disconnected')));
  });
}

describe('event hubs emulator: limits', () => {
  it('refuses connections beyond limits.maxConnections with QuotaExceededError, and takes one again when one closes', async () => {
    const lines: string[] = [];
    const emulator = await startEventHubsEmulator({ config: hubs({ maxConnections: 2 }), port: 0, log: (line) => lines.push(line) });
    const clients = [0, 1, 2].map(() => new EventHubProducerClient(emulator.connectionString, 'records', NO_RETRIES));
    try {
      await elementAt(clients, 0).getEventHubProperties();
      await elementAt(clients, 1).getEventHubProperties();
      await expect(elementAt(clients, 2).getEventHubProperties()).rejects.toMatchObject({
        code: 'QuotaExceededError',
        message: expect.stringContaining('maximum number of connections (2)'),
      });
      expect(lines.some((line) => line.includes('limits.maxConnections'))).toBe(true);
      await elementAt(clients, 0).close();
      // The slot is free once the emulator has seen the close.
      const fresh = new EventHubProducerClient(emulator.connectionString, 'records', NO_RETRIES);
      clients.push(fresh);
      await waitFor(
        () =>
          fresh.getEventHubProperties().then(
            () => true,
            () => false,
          ),
        DEFAULT_WAIT_MS,
        'a connection slot',
      );
    } finally {
      for (const client of clients) await client.close();
      await emulator.close();
    }
  });

  it('refuses links beyond limits.maxLinksPerConnection with QuotaExceededError', async () => {
    const emulator = await startEventHubsEmulator({ config: hubs({ maxLinksPerConnection: 4 }), port: 0, log: quiet });
    const producer = new EventHubProducerClient(emulator.connectionString, 'records', NO_RETRIES);
    try {
      // $cbs and $management take two links each: four, the limit.
      await producer.getEventHubProperties();
      await expect(producer.sendBatch([{ body: 'one link too many' }], { partitionId: '0' })).rejects.toMatchObject({
        code: 'QuotaExceededError',
        message: expect.stringContaining('more than 4 links on one connection'),
      });
      // Another connection has links of its own.
      const other = new EventHubProducerClient(emulator.connectionString, 'records', NO_RETRIES);
      try {
        await other.sendBatch([{ body: 'fits' }], { partitionId: '0' });
      } finally {
        await other.close();
      }
      expect((await producer.getPartitionProperties('0')).lastEnqueuedSequenceNumber).toBe(0);
    } finally {
      await producer.close();
      await emulator.close();
    }
  });

  it('refuses events beyond limits.maxMemoryBytes without a data directory with QuotaExceededError', async () => {
    const emulator = await startEventHubsEmulator({ config: hubs({ maxMemoryBytes: 1_048_576 }), port: 0, metricsPort: 0, log: quiet });
    const producer = new EventHubProducerClient(emulator.connectionString, 'records', NO_RETRIES);
    try {
      await producer.sendBatch([{ body: Buffer.alloc(600_000, 1) }], { partitionId: '0' });
      await expect(producer.sendBatch([{ body: Buffer.alloc(600_000, 2) }], { partitionId: '1' })).rejects.toMatchObject({
        code: 'QuotaExceededError',
        message: expect.stringContaining('limits.maxMemoryBytes = 1048576'),
      });
      await producer.sendBatch([{ body: Buffer.alloc(100_000, 3) }], { partitionId: '1' });
      expect((await producer.getPartitionProperties('1')).lastEnqueuedSequenceNumber).toBe(0);
      const health = (await (await fetch(`${emulator.metricsUrl}/health`)).json()) as Record<string, unknown>;
      expect(health).toMatchObject({ limits: { maxMemoryBytes: 1_048_576 }, limitRefusals: { memory: 1, connections: 0, links: 0 } });
      expect(health.memoryBytes).toBeGreaterThan(700_000);
      expect(health.memoryBytes).toBeLessThanOrEqual(1_048_576);
    } finally {
      await producer.close();
      await emulator.close();
    }
  });

  it('answers ServerBusyError while received events waiting to be written fill limits.maxMemoryBytes', async () => {
    // A log whose writes finish only when the test says so, standing in for a slow disk.
    const gates: Array<() => void> = [];
    class SlowDiskLog extends MemoryPartitionLog {
      override readonly holdsEventsInMemory = false;
      override async append(records: readonly EventRecord[], enqueuedTimeMs: number): Promise<void> {
        await new Promise<void>((resolve) => gates.push(resolve));
        return super.append(records, enqueuedTimeMs);
      }
    }
    const config = normalizeConfig(hubs({ maxMemoryBytes: 1_048_576 }));
    const broker = await EventHubBroker.open(
      config,
      async (): Promise<PartitionLog> => new SlowDiskLog(),
      async () => Date.now(),
    );
    const server = new AmqpServer({ broker, host: '127.0.0.1', port: 0, namespaceHost: 'localhost', log: quiet });
    const { port } = await server.listen();
    const producer = new EventHubProducerClient(emulatorConnectionString(port), 'records', NO_RETRIES);
    try {
      const first = producer.sendBatch([{ body: Buffer.alloc(600_000, 1) }], { partitionId: '0' });
      await waitFor(() => gates.length === 1, DEFAULT_WAIT_MS, 'the first write');
      await expect(producer.sendBatch([{ body: Buffer.alloc(600_000, 2) }], { partitionId: '1' })).rejects.toMatchObject({
        code: 'ServerBusyError',
        message: expect.stringContaining('still being written'),
      });
      gates.shift()!();
      await first;
      // Written, so no longer in memory: the next one fits.
      const next = producer.sendBatch([{ body: Buffer.alloc(600_000, 3) }], { partitionId: '1' });
      await waitFor(() => gates.length === 1, DEFAULT_WAIT_MS, 'the next write');
      gates.shift()!();
      await next;
      expect(broker.memory.usedBytes()).toBe(0);
    } finally {
      for (const open of gates) open();
      await producer.close();
      await server.close();
      await broker.close();
    }
  });

  it('stops sending beyond limits.maxUnreadBytesPerConnection to a reader that does not read, however much credit it gave', async () => {
    const maxUnread = 4 * 1024 * 1024;
    const emulator = await startEventHubsEmulator({
      config: hubs({ maxUnreadBytesPerConnection: maxUnread }),
      port: 0,
      metricsPort: 0,
      log: quiet,
    });
    const producer = new EventHubProducerClient(emulator.connectionString, 'records');
    const connection = await connectRhea(emulator.port);
    const EVENTS = 160;
    const EVENT_BYTES = 256 * 1024;
    try {
      for (let start = 0; start < EVENTS; start += 3) {
        const count = Math.min(3, EVENTS - start);
        await producer.sendBatch(
          Array.from({ length: count }, () => ({ body: Buffer.alloc(EVENT_BYTES, 7) })),
          { partitionId: '0' },
        );
      }
      let received = 0;
      const receiver = connection.open_receiver({
        source: {
          address: 'records/ConsumerGroups/$default/Partitions/0',
          filter: {
            'apache.org:selector-filter:string': rhea.types.wrap_described("amqp.annotation.x-opt-offset > '-1'", 0x0000468c00000004),
          },
        },
        credit_window: 0,
        autoaccept: true,
      } as never);
      receiver.on('message', () => received++);
      await new Promise((resolve) => receiver.once('receiver_open', resolve));
      const socket = (connection as unknown as { socket: { pause(): void; resume(): void } }).socket;
      socket.pause();
      receiver.add_credit(EVENTS);
      const bytesOut = async () => {
        const text = await (await fetch(`${emulator.metricsUrl}/metrics`)).text();
        const line = text
          .split('\n')
          .find((candidate) => candidate.startsWith('eventhubs_emulator_bytes_out_total{hub="records",partition="0"} '));
        return Number(line?.split(' ').at(-1));
      };
      // Give the emulator time to push everything it would push.
      let previous = -1;
      for (let settled = 0; settled < 5;) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        const now = await bytesOut();
        settled = now === previous ? settled + 1 : 0;
        previous = now;
      }
      // The high-water mark plus what the kernel's socket buffers hold: far less than the 40 MB granted.
      expect(previous).toBeGreaterThan(0);
      expect(previous).toBeLessThan(2 * maxUnread + 16 * 1024 * 1024);
      expect(previous).toBeLessThan(EVENTS * EVENT_BYTES);
      socket.resume();
      await waitFor(() => received === EVENTS, DEFAULT_WAIT_MS, 'every event once the reader reads');
    } finally {
      connection.close();
      await producer.close();
      await emulator.close();
    }
  });
});
