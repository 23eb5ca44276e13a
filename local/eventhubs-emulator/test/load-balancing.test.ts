import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { EventHubProducerClient } from '@azure/event-hubs';
import { ContainerClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type RunningAzurite } from '../../azurite/start-azurite.js';
import { startEventHubsEmulator, type RunningEventHubsEmulator } from '../index.js';
import { quiet, waitFor } from './sdk-helpers.js';

const WORKER = fileURLToPath(new URL('./fixtures/subscribe-worker.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');
const PARTITIONS = ['0', '1', '2', '3'];
const SCENARIO_MS = 180_000;

interface WorkerLine {
  type: 'claim' | 'release' | 'event' | 'checkpoint' | 'error';
  partition: string;
  sequenceNumber?: number;
  body?: string;
}

interface Worker {
  name: string;
  child: ChildProcess;
  lines: WorkerLine[];
  /** Partitions this worker currently processes. */
  owned: Set<string>;
}

let azurite: RunningAzurite;
let emulator: RunningEventHubsEmulator;
const workers: Worker[] = [];

beforeAll(async () => {
  [azurite, emulator] = await Promise.all([
    startAzurite(),
    startEventHubsEmulator({
      config: { eventHubs: [{ name: 'records', partitionCount: 4, consumerGroups: ['transform'] }] },
      port: 0,
      log: quiet,
    }),
  ]);
  await new ContainerClient(azurite.connectionString, 'checkpoints').createIfNotExists();
});

afterAll(async () => {
  for (const worker of workers) worker.child.kill('SIGKILL');
  await emulator?.close();
  await azurite?.close();
});

function startWorker(name: string): Worker {
  const child = spawn(
    process.execPath,
    ['--import', TSX, WORKER, emulator.connectionString, azurite.connectionString, 'checkpoints', 'records', 'transform'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const worker: Worker = { name, child, lines: [], owned: new Set() };
  createInterface({ input: child.stdout! }).on('line', (text) => {
    const line = JSON.parse(text) as WorkerLine;
    worker.lines.push(line);
    if (line.type === 'claim') worker.owned.add(line.partition);
    if (line.type === 'release') worker.owned.delete(line.partition);
  });
  workers.push(worker);
  return worker;
}

async function sendRound(producer: EventHubProducerClient, round: number, perPartition: number): Promise<void> {
  for (const partitionId of PARTITIONS) {
    await producer.sendBatch(
      Array.from({ length: perPartition }, (_, i) => ({ body: `r${round}-p${partitionId}-${i}` })),
      { partitionId },
    );
  }
}

/** Bodies seen by any worker, per partition. */
function seen(list: Worker[]): Map<string, Set<string>> {
  const bodies = new Map(PARTITIONS.map((id) => [id, new Set<string>()]));
  for (const worker of list) for (const line of worker.lines) if (line.type === 'event') bodies.get(line.partition)!.add(line.body!);
  return bodies;
}

const everyBody = (rounds: number[], perPartition: number) =>
  new Map(
    PARTITIONS.map((id) => [
      id,
      new Set(rounds.flatMap((round) => Array.from({ length: perPartition }, (_, i) => `r${round}-p${id}-${i}`))),
    ]),
  );

describe('event hubs emulator: subscribe() load balancing across processes', () => {
  it(
    'spreads partitions over three processes, and after a SIGKILL the others resume from its checkpoints without skipping',
    async () => {
      const producer = new EventHubProducerClient(emulator.connectionString, 'records');
      // One deadline for all phases: cold-starting three tsx workers on a loaded machine can take most
      // of a fixed per-phase wait, while the later phases then finish in seconds.
      const deadline = Date.now() + SCENARIO_MS - 10_000;
      const remaining = () => Math.max(1, deadline - Date.now());
      try {
        await sendRound(producer, 1, 10);
        const trio = [startWorker('a'), startWorker('b'), startWorker('c')];
        // Spread: every partition owned, every worker owns at least one, no partition owned twice.
        await waitFor(
          () => trio.every((worker) => worker.owned.size >= 1) && trio.reduce((sum, worker) => sum + worker.owned.size, 0) === 4,
          remaining(),
          'the partitions to spread over the three workers',
        );
        await waitFor(
          () => {
            const bodies = seen(trio);
            return PARTITIONS.every((id) => bodies.get(id)!.size === 10);
          },
          remaining(),
          'the first round to be processed',
        );
        // The whole first round is checkpointed on every partition, by whichever worker held it then:
        // while the balancer settles, a partition can move after it was read, so its new owner has
        // nothing left to read and never checkpoints it itself.
        const checkpointed = (id: string) =>
          trio.some((worker) =>
            worker.lines.some((line) => line.type === 'checkpoint' && line.partition === id && line.sequenceNumber === 9),
          );
        await waitFor(
          () => PARTITIONS.every(checkpointed),
          remaining(),
          'every partition to be checkpointed at the end of the first round',
        );
        const victim = trio.find((worker) => worker.owned.size === 1) ?? trio.find((worker) => worker.owned.size >= 1)!;
        const [victimPartition] = [...victim.owned];
        victim.child.kill('SIGKILL');
        const survivors = trio.filter((worker) => worker !== victim);
        const linesAtKill = new Map(survivors.map((worker) => [worker, worker.lines.length]));
        await sendRound(producer, 2, 10);
        const secondRound = everyBody([2], 10);
        await waitFor(
          () => {
            const bodies = seen(survivors);
            return PARTITIONS.every((id) => [...secondRound.get(id)!].every((body) => bodies.get(id)!.has(body)));
          },
          remaining(),
          'the survivors to process the second round on every partition',
        );
        // No event skipped across all processes, first round and second.
        const all = seen(workers);
        const expected = everyBody([1, 2], 10);
        for (const id of PARTITIONS) expect([...expected.get(id)!].filter((body) => !all.get(id)!.has(body))).toEqual([]);
        // The new owner of the victim's partition resumed after the checkpoint, not from the start.
        const afterKill = survivors.flatMap((worker) =>
          worker.lines.slice(linesAtKill.get(worker)).filter((line) => line.type === 'event' && line.partition === victimPartition),
        );
        expect(afterKill.length).toBeGreaterThanOrEqual(10);
        expect(Math.min(...afterKill.map((line) => line.sequenceNumber!))).toBe(10);
      } finally {
        await producer.close();
      }
    },
    SCENARIO_MS,
  );
});
