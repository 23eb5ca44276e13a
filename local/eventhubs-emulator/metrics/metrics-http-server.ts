import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EventHubBroker } from '../broker/event-hub-broker.js';
import type { PartitionLogInfo } from '../storage/partition-log.js';

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

function label(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Prometheus text exposition of the emulator's counters and partition gauges. */
export function renderPrometheus(broker: EventHubBroker): string {
  const lines: string[] = [];
  const metric = (name: string, type: 'counter' | 'gauge', help: string, samples: Array<[string, number]>) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) lines.push(`${name}${labels} ${value}`);
  };
  const metrics = broker.metrics;
  const partitions = broker.allHubs().flatMap((hub) => hub.partitions.map((partition) => ({ hub, partition })));
  const labelsOf = (hub: string, partition: string) => `{hub="${label(hub)}",partition="${partition}"}`;
  const counter = (key: 'eventsIn' | 'bytesIn' | 'eventsOut' | 'bytesOut') =>
    partitions.map(({ hub, partition }): [string, number] => [
      labelsOf(hub.name, partition.id),
      metrics.counters(hub.name, partition.id)[key],
    ]);
  metric('eventhubs_emulator_events_in_total', 'counter', 'Events accepted from producers.', counter('eventsIn'));
  metric('eventhubs_emulator_bytes_in_total', 'counter', 'Bytes of transfers accepted from producers.', counter('bytesIn'));
  metric('eventhubs_emulator_events_out_total', 'counter', 'Events delivered to consumers.', counter('eventsOut'));
  metric('eventhubs_emulator_bytes_out_total', 'counter', 'Bytes of transfers delivered to consumers.', counter('bytesOut'));
  const gauge = (read: (info: PartitionLogInfo) => number) =>
    partitions.map(({ hub, partition }): [string, number] => [labelsOf(hub.name, partition.id), read(partition.log.info())]);
  metric(
    'eventhubs_emulator_partition_last_sequence_number',
    'gauge',
    'Last enqueued sequence number (-1 when empty).',
    gauge((info) => info.lastSequenceNumber),
  );
  metric(
    'eventhubs_emulator_partition_begin_sequence_number',
    'gauge',
    'First sequence number still held.',
    gauge((info) => info.beginSequenceNumber),
  );
  metric(
    'eventhubs_emulator_partition_retained_bytes',
    'gauge',
    'Bytes held by the partition log.',
    gauge((info) => info.retainedBytes),
  );
  metric('eventhubs_emulator_open_connections', 'gauge', 'Open AMQP connections.', [['', metrics.openConnections]]);
  metric('eventhubs_emulator_open_links', 'gauge', 'Open AMQP links (senders, receivers, $cbs and $management).', [
    ['', metrics.openLinks],
  ]);
  metric('eventhubs_emulator_memory_bytes', 'gauge', 'Event bytes held in memory (limits.maxMemoryBytes caps them).', [
    ['', broker.memory.usedBytes()],
  ]);
  metric(
    'eventhubs_emulator_limit_refusals_total',
    'counter',
    'Attaches and transfers refused by a limit (limits.maxConnections, maxLinksPerConnection, maxMemoryBytes).',
    Object.entries(metrics.limitRefusals).map(([limit, count]): [string, number] => [`{limit="${limit}"}`, count]),
  );
  metric('eventhubs_emulator_log_flushes_total', 'counter', 'Group-commit writes to the partition logs.', [['', metrics.logFlushes]]);
  metric('eventhubs_emulator_logged_events_total', 'counter', 'Events made durable by those writes.', [['', metrics.loggedEvents]]);
  return `${lines.join('\n')}\n`;
}

/** GET /health (JSON) and GET /metrics (Prometheus text) on loopback. */
export async function startMetricsServer(broker: EventHubBroker, host: string, port: number): Promise<MetricsServer> {
  const server = http.createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET') {
      response.writeHead(405, { allow: 'GET' }).end();
    } else if (path === '/health') {
      const body = {
        status: 'ok',
        namespace: broker.config.namespace,
        eventHubs: broker.allHubs().map((hub) => ({ name: hub.name, partitions: hub.partitions.length })),
        openConnections: broker.metrics.openConnections,
        openLinks: broker.metrics.openLinks,
        memoryBytes: broker.memory.usedBytes(),
        limits: broker.config.limits,
        limitRefusals: broker.metrics.limitRefusals,
      };
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    } else if (path === '/metrics') {
      response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(renderPrometheus(broker));
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
