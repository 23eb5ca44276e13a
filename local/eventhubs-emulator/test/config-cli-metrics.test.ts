import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { EventHubConsumerClient, EventHubProducerClient, earliestEventPosition } from '@azure/event-hubs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEventHubsEmulator } from '../index.js';
import { DEFAULT_KEY_PATTERN, quiet, readEvents } from './sdk-helpers.js';

const BIN = fileURLToPath(new URL('../../../bin/eventhubs-emulator.js', import.meta.url));
let directory: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'eh-emulator-config-'));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

async function configFile(name: string, content: unknown): Promise<string> {
  const path = join(directory, name);
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

function metricValue(text: string, name: string, labels = ''): number {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name}${labels} `));
  if (!line) throw new Error(`no sample ${name}${labels}`);
  return Number(line.split(' ').at(-1));
}

describe('event hubs emulator: configuration files', () => {
  it('rejects an invalid file with a message that names the bad field', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ eventHubs: [{ name: 'records', partitionCount: 33 }] }, /eventHubs\[0\]\.partitionCount: must be at most 32/],
      [{ eventHubs: [{ name: 'records', partitionCount: 2, consumerGroups: ['ok', 'not ok'] }] }, /eventHubs\[0\]\.consumerGroups\[1\]/],
      [
        { eventHubs: [{ name: 'records', partitionCount: 2, retention: { days: 1 } }] },
        /eventHubs\[0\]\.retention: Unrecognized key: "days"/,
      ],
      [{ eventHubs: [] }, /eventHubs: must declare at least one event hub/],
      [
        { UserConfig: { NamespaceConfig: [{ Type: 'EventHub', Name: 'ns', Entities: [{ Name: 'eh1', PartitionCount: 'four' }] }] } },
        /UserConfig\.NamespaceConfig\[0\]\.Entities\[0\]\.PartitionCount: must be a whole number from 1 to 32/,
      ],
      ['{ not json', /not valid JSON/],
    ];
    for (const [index, [content, message]] of cases.entries()) {
      const path = await configFile(`bad-${index}.json`, content);
      await expect(startEventHubsEmulator({ config: path, port: 0, log: quiet })).rejects.toMatchObject({
        name: 'EmulatorError',
        code: 'INVALID_CONFIG',
        message,
      });
    }
  });

  it("accepts the official emulator's Config.json shape", async () => {
    const path = await configFile('official.json', {
      UserConfig: {
        NamespaceConfig: [
          { Type: 'EventHub', Name: 'emulatorNs1', Entities: [{ Name: 'eh1', PartitionCount: '2', ConsumerGroups: [{ Name: 'cg1' }] }] },
        ],
        LoggingConfig: { Type: 'File' },
      },
    });
    const emulator = await startEventHubsEmulator({ config: path, port: 0, log: quiet });
    const producer = new EventHubProducerClient(emulator.connectionString, 'eh1');
    const consumer = new EventHubConsumerClient('cg1', emulator.connectionString, 'eh1');
    try {
      expect((await producer.getEventHubProperties()).partitionIds).toEqual(['0', '1']);
      await producer.sendBatch([{ body: 'official' }], { partitionId: '1' });
      expect((await readEvents(consumer, '1', earliestEventPosition, 1))[0]?.body).toBe('official');
    } finally {
      await consumer.close();
      await producer.close();
      await emulator.close();
    }
  });
});

describe('event hubs emulator: metrics', () => {
  it('counts events and bytes per partition, connections and links, and group-commits writes', async () => {
    const dataDir = join(directory, 'metrics-data');
    const emulator = await startEventHubsEmulator({
      config: { eventHubs: [{ name: 'records', partitionCount: 2 }] },
      dataDir,
      port: 0,
      metricsPort: 0,
      log: quiet,
    });
    const producer = new EventHubProducerClient(emulator.connectionString, 'records');
    const consumer = new EventHubConsumerClient('$default', emulator.connectionString, 'records');
    try {
      const health = await (await fetch(`${emulator.metricsUrl}/health`)).json();
      expect(health).toMatchObject({ status: 'ok', eventHubs: [{ name: 'records', partitions: 2 }] });
      // 200 single-event sends at once: they must share fsyncs.
      await Promise.all(Array.from({ length: 200 }, (_, i) => producer.sendBatch([{ body: `e${i}` }], { partitionId: '0' })));
      await readEvents(consumer, '0', earliestEventPosition, 200);
      const text = await (await fetch(`${emulator.metricsUrl}/metrics`)).text();
      expect(metricValue(text, 'eventhubs_emulator_events_in_total', '{hub="records",partition="0"}')).toBe(200);
      expect(metricValue(text, 'eventhubs_emulator_events_in_total', '{hub="records",partition="1"}')).toBe(0);
      expect(metricValue(text, 'eventhubs_emulator_events_out_total', '{hub="records",partition="0"}')).toBe(200);
      expect(metricValue(text, 'eventhubs_emulator_bytes_in_total', '{hub="records",partition="0"}')).toBeGreaterThan(200 * 4);
      expect(metricValue(text, 'eventhubs_emulator_partition_last_sequence_number', '{hub="records",partition="0"}')).toBe(199);
      expect(metricValue(text, 'eventhubs_emulator_open_connections')).toBeGreaterThanOrEqual(2);
      expect(metricValue(text, 'eventhubs_emulator_open_links')).toBeGreaterThanOrEqual(3);
      expect(metricValue(text, 'eventhubs_emulator_logged_events_total')).toBe(200);
      expect(metricValue(text, 'eventhubs_emulator_log_flushes_total')).toBeLessThan(200);
    } finally {
      await consumer.close();
      await producer.close();
      await emulator.close();
    }
  });
});

describe('event hubs emulator: command line', () => {
  function startCli(args: string[]): { child: ChildProcess; connectionString: Promise<string> } {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: tmpdir(), stdio: ['ignore', 'pipe', 'pipe'] });
    const lines = createInterface({ input: child.stdout! });
    const connectionString = new Promise<string>((resolve, reject) => {
      lines.once('line', resolve);
      child.once('exit', (code) => reject(new Error(`emulator exited with ${code}`)));
    });
    return { child, connectionString };
  }

  it('starts from the bin shim with a config and a data dir, prints the connection string, stops on SIGTERM and keeps data', async () => {
    const config = await configFile('cli.json', { eventHubs: [{ name: 'records', partitionCount: 1 }] });
    const dataDir = join(directory, 'cli-data');
    for (const round of [1, 2]) {
      const { child, connectionString } = startCli(['--config', config, '--data-dir', dataDir, '--port', '0']);
      const text = await connectionString;
      expect(text).toMatch(new RegExp(`^Endpoint=sb://localhost:\\d+;${DEFAULT_KEY_PATTERN}UseDevelopmentEmulator=true;$`));
      const producer = new EventHubProducerClient(text, 'records');
      await producer.sendBatch([{ body: `round-${round}` }]);
      expect((await producer.getPartitionProperties('0')).lastEnqueuedSequenceNumber).toBe(round - 1);
      await producer.close();
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
    // Two cold starts of a tsx child: over 20 s on a loaded 2-core machine, so more than the default 60 s.
  }, 180_000);

  it('exits non-zero with the reason for a bad config file', async () => {
    const config = await configFile('cli-bad.json', { eventHubs: [{ name: 'records', partitionCount: 0 }] });
    const child = spawn(process.execPath, [BIN, '--config', config, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toContain('eventHubs[0].partitionCount: must be at least 1');
  }, 180_000);
});
