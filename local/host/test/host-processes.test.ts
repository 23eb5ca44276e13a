import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EventHubProducerClient } from '@azure/event-hubs';
import { BlobCheckpointStore } from '@azure/eventhubs-checkpointstore-blob';
import { ContainerClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type RunningAzurite } from '../../azurite/start-azurite.js';
import { startEventHubsEmulator } from '../../eventhubs-emulator/index.js';
import type { RecordedCall } from './fixtures/recorder.js';
import { waitForOwnerReader } from './owner-reader.js';
import { waitFor } from './wait-for.js';

const HUB = 'shared-hub';
const PARTITIONS = ['0', '1', '2', '3'];
const HOST_PROCESS = fileURLToPath(new URL('../host-process.ts', import.meta.url));
const FIXTURE = fileURLToPath(new URL('./fixtures/hub-functions.ts', import.meta.url));

interface HostChild {
  readonly child: ChildProcess;
  readonly messages: Array<Record<string, unknown>>;
  readonly stderr: string[];
  readonly exited: Promise<number | null>;
}

describe('several host processes', () => {
  let azurite: RunningAzurite;
  let emulator: Awaited<ReturnType<typeof startEventHubsEmulator>>;
  let workDir: string;
  let recordFile: string;
  let producer: EventHubProducerClient;
  let store: BlobCheckpointStore;
  const children: HostChild[] = [];

  function startHost(instanceId: string): HostChild {
    // Renewals every 300 ms. A 10 s expiry, not a short one, so that a renewal slowed down by a loaded
    // machine does not let the other host claim a partition mid-test; a clean stop releases at once anyway.
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        HOST_PROCESS,
        '--entry',
        FIXTURE,
        '--functions',
        'hubBatch',
        '--instance-id',
        instanceId,
        '--lb-interval-ms',
        '300',
        '--ownership-expiry-ms',
        '10000',
      ],
      {
        env: {
          ...process.env,
          AzureWebJobsStorage: azurite.connectionString,
          FIXTURE_EVENTHUB: emulator.connectionString,
          FIXTURE_HUB: HUB,
          FIXTURE_RECORD_FILE: recordFile,
          FIXTURE_HANDLER_DELAY_MS: '20',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const host: HostChild = {
      child,
      messages: [],
      stderr: [],
      exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
    };
    let pending = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) if (line.startsWith('{')) host.messages.push(JSON.parse(line) as Record<string, unknown>);
    });
    child.stderr?.on('data', (chunk: Buffer) => host.stderr.push(chunk.toString()));
    children.push(host);
    return host;
  }

  async function recorded(): Promise<RecordedCall[]> {
    const text = await readFile(recordFile, 'utf8').catch(() => '');
    return text
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as RecordedCall);
  }

  async function owners(): Promise<Map<string, string>> {
    const list = await store.listOwnership(producer.fullyQualifiedNamespace, HUB, 'batch');
    return new Map(list.filter((ownership) => ownership.ownerId !== '').map((ownership) => [ownership.partitionId, ownership.ownerId]));
  }

  async function sendToEveryPartition(from: number, perPartition: number): Promise<number[]> {
    const sent: number[] = [];
    for (const partitionId of PARTITIONS) {
      const batch = await producer.createBatch({ partitionId });
      for (let index = 0; index < perPartition; index++) {
        const n = from + sent.length;
        batch.tryAdd({ body: { n } });
        sent.push(n);
      }
      await producer.sendBatch(batch);
    }
    return sent;
  }

  const seenNumbers = (calls: RecordedCall[]): Set<number> =>
    new Set(calls.flatMap((call) => (call.input as Array<{ n: number }>).map((event) => event.n)));

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'host-processes-'));
    recordFile = join(workDir, 'calls.ndjson');
    azurite = await startAzurite();
    emulator = await startEventHubsEmulator({
      config: { namespace: 'localhost', eventHubs: [{ name: HUB, partitionCount: 4, consumerGroups: ['$default', 'batch', 'single'] }] },
      port: 0,
      log: () => {},
    });
    producer = new EventHubProducerClient(emulator.connectionString, HUB);
    store = new BlobCheckpointStore(new ContainerClient(azurite.connectionString, 'azure-webjobs-eventhub'));
  });

  afterAll(async () => {
    for (const host of children) {
      if (host.child.exitCode === null) host.child.kill('SIGKILL');
    }
    await producer?.close();
    await emulator?.close();
    await azurite?.close();
    await rm(workDir, { recursive: true, force: true });
  });

  it('share the partitions through the checkpoint store, and one takes over when the other stops cleanly', async () => {
    // The steps share one bound, which only catches a hang: a host process took over 30 s to start
    // when the shared 2-core machine was many times oversubscribed.
    const deadline = Date.now() + 420_000;
    const left = () => Math.max(0, deadline - Date.now());
    const first = startHost('host-a');
    await waitFor('host-a ready', () => first.messages.some((message) => message.event === 'ready'), left()).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${first.stderr.join('')}`);
    });
    // host-a alone reads every partition before host-b comes, so each partition host-b takes is a handover.
    await waitFor(
      'host-a owning every partition',
      async () => {
        const map = await owners();
        return map.size === 4 && [...map.values()].every((owner) => owner === 'host-a');
      },
      left(),
    );
    for (const partitionId of PARTITIONS) await waitForOwnerReader(emulator.connectionString, HUB, 'batch', partitionId, left());
    const second = startHost('host-b');
    await waitFor('host-b ready', () => second.messages.some((message) => message.event === 'ready'), left());
    const balanced = await waitFor(
      'two partitions per host',
      async () => {
        const map = await owners();
        const counts = [...map.values()].reduce((acc, owner) => acc.set(owner, (acc.get(owner) ?? 0) + 1), new Map<string, number>());
        return map.size === 4 && counts.get('host-a') === 2 && counts.get('host-b') === 2 && map;
      },
      left(),
    );
    expect(new Set(balanced.values())).toEqual(new Set(['host-a', 'host-b']));
    // A claim in the checkpoint store comes before the new owner's receiver: until that receiver attaches
    // (and the service disconnects host-a's, which host-a logs), host-a still reads the partition.
    const takenOver = [...balanced].filter(([, owner]) => owner === 'host-b').map(([partitionId]) => partitionId);
    await waitFor(
      'host-a to hand over the partitions host-b claimed',
      () => takenOver.every((partitionId) => first.stderr.join('').includes(`partition ${partitionId} moved to another instance`)),
      left(),
    );

    const sent = await sendToEveryPartition(0, 10);
    const calls = await waitFor(
      'every event handled',
      async () => {
        const all = await recorded();
        return sent.every((n) => seenNumbers(all).has(n)) && all;
      },
      left(),
    );
    const pids = new Set(calls.map((call) => call.pid));
    expect(pids).toEqual(new Set([first.child.pid, second.child.pid]));
    // Each partition went to one process: its partitionContext names the same pid for every batch.
    const pidByPartition = new Map<string, Set<number>>();
    for (const call of calls) {
      const partition = (call.context.triggerMetadata?.partitionContext as { partitionId: string }).partitionId;
      pidByPartition.set(partition, (pidByPartition.get(partition) ?? new Set()).add(call.pid));
    }
    expect([...pidByPartition.values()].every((set) => set.size === 1)).toBe(true);

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    const stopped = first.messages.find((message) => message.event === 'stopped') as { stats: { invocationsInFlight: number } } | undefined;
    expect(stopped?.stats.invocationsInFlight).toBe(0);

    await waitFor(
      'host-b owning every partition',
      async () => {
        const map = await owners();
        return map.size === 4 && [...map.values()].every((owner) => owner === 'host-b');
      },
      left(),
    );
    const later = await sendToEveryPartition(1000, 2);
    const after = await waitFor(
      'the later events handled',
      async () => {
        const all = await recorded();
        return later.every((n) => seenNumbers(all).has(n)) && all;
      },
      left(),
    );
    const laterCalls = after.filter((call) => (call.input as Array<{ n: number }>).some((event) => event.n >= 1000));
    expect(new Set(laterCalls.map((call) => call.pid))).toEqual(new Set([second.child.pid]));
    // Checkpoints moved on, so nothing before the handover was delivered again after it.
    expect(laterCalls.flatMap((call) => call.input as Array<{ n: number }>).every((event) => event.n >= 1000)).toBe(true);

    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, 450_000);
});
