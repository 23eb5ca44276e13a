/**
 * The fault-injection scenarios: each names a fault, where `npm start` runs (the per-function
 * placement gives extract, transform and aggregate processes of their own to kill), the moment the
 * fault strikes, and when it is over. The table in docs/fault-injection.md is their output.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdir, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createInterface } from 'node:readline';
import { EventHubProducerClient } from '@azure/event-hubs';
import { ContainerClient } from '@azure/storage-blob';
import { EVENTHUB_CHECKPOINT_CONTAINER } from '../shared/config/app-settings.js';
import { iotEventsDataset } from '../shared/datasets/iot-events.js';
import { REPOSITORY_ROOT, FUNCTIONS_ENTRY } from '../local/cli/local-stack.js';
import { startExtraHost, type ExtraHost } from '../local/cli/extra-host-processes.js';
import { LANDING_VISIBILITY_SECONDS } from '../local/cli/stack-hosts.js';
import { processStarted } from '../local/supervision/stack-processes.js';
import { MomentMissed, ourFiles, pollFor, SkipScenario, waitUntil, type ChaosContext, type Scenario } from './run-scenario.js';

const PER_FUNCTION = ['--placement', 'per-function'];

/**
 * Holds extract in the middle of a file while transform already loads its first chunks. Extract runs a
 * 30k-row file in about a second, too short for a poll to be sure to land inside, so extract is stopped
 * (SIGSTOP) as soon as the file is extracting and let run in short steps until transform has loaded a
 * chunk; the fault then strikes a process that is still in the middle of the file.
 */
async function holdExtractMidFile(context: ChaosContext, role: string): Promise<void> {
  const extracting = async (): Promise<{ started: boolean; loaded: boolean }> => {
    const files = await ourFiles(context);
    if (files.length > 0 && files.every((file) => file.state !== 'extracting'))
      throw new MomentMissed('extract finished the file before it could be held: use more rows');
    const started = files.some((file) => file.state === 'extracting');
    return { started, loaded: files.some((file) => file.state === 'extracting' && file.chunksLoaded > 0) };
  };
  await waitUntil('extract to start the file', async () => (await extracting()).started, 300_000, 10);
  const pid = await context.stack.pidOf(role);
  process.kill(pid, 'SIGSTOP');
  try {
    for (let step = 0; step < MID_FILE_STEPS; step++) {
      // Transform loads what extract published before it stopped; then extract runs one more step.
      if (await pollFor(async () => (await extracting()).loaded, 2_000)) return;
      process.kill(pid, 'SIGCONT');
      await sleep(MID_FILE_STEP_MS);
      process.kill(pid, 'SIGSTOP');
    }
    throw new MomentMissed(`transform loaded no chunk of the file in ${MID_FILE_STEPS} steps of extract`);
  } catch (error) {
    process.kill(pid, 'SIGCONT');
    throw error;
  }
}

const MID_FILE_STEPS = 100;
const MID_FILE_STEP_MS = 50;

/** Transform is loading (some chunks applied, the load not done). */
async function whileLoading(context: ChaosContext): Promise<void> {
  await waitUntil('transform loading', async () => {
    const files = await ourFiles(context);
    return files.some((file) => file.chunksLoaded > 0) && files.some((file) => file.state !== 'complete');
  });
}

/** Aggregate is merging: some window rows exist, not all. */
async function whileAggregating(context: ChaosContext): Promise<void> {
  const runtime = await context.runtime();
  const target = context.uploaded.reduce((sum, file) => sum + file.expected.distinctKeys, 0);
  await waitUntil('aggregate merging partials', async () => {
    const windows = await runtime.store.windows.listWindows(iotEventsDataset, { limit: 10_000_000 });
    const counted = windows.reduce((sum, window) => sum + window.count, 0);
    return counted > 0 && counted < target;
  });
}

/** SIGKILL to one of npm start's children; over when the supervisor has it running again. */
async function killChild(context: ChaosContext, role: string): Promise<number> {
  const pid = await context.stack.pidOf(role);
  process.kill(pid, 'SIGKILL');
  const again = await context.stack.restarted(role, pid);
  context.note(`${role} pid ${pid} killed, running again as ${again}`);
  return Date.now();
}

/** Host processes started beside npm start's, as a platform adds instances of the app. */
async function extraHosts(context: ChaosContext, count: number): Promise<ExtraHost[]> {
  const hosts = await Promise.all(
    Array.from({ length: count }, (_, index) =>
      startExtraHost({
        repositoryRoot: REPOSITORY_ROOT,
        entryModule: FUNCTIONS_ENTRY,
        hostId: 'scalable-etl-local',
        instanceId: `chaos-${index + 1}`,
        settings: context.stack.settings,
        queueVisibilitySeconds: LANDING_VISIBILITY_SECONDS,
        log: () => {},
      }),
    ),
  );
  context.onCleanup(async () => {
    await Promise.all(hosts.map((host) => host.stop()));
  });
  return hosts;
}

/** The scenarios, built afresh for each run (some keep state between their steps). `rows` sizes the disk-full one. */
export function chaosScenarios(options: { readonly rows: number }): Scenario[] {
  let scaleInHosts: ExtraHost[] = [];
  const diskBytes = Math.max(2 * 1024 * 1024, Math.round(options.rows * DISK_BYTES_PER_ROW));
  return [
    {
      name: 'baseline',
      fault: 'none (reference)',
      args: PER_FUNCTION,
      inject: async () => Date.now(),
    },
    {
      name: 'extract-kill',
      fault: 'kill -9 extract in the middle of a file',
      args: PER_FUNCTION,
      inject: async (context) => {
        await holdExtractMidFile(context, 'extract-1');
        return killChild(context, 'extract-1');
      },
    },
    {
      name: 'transform-kill',
      fault: 'kill -9 transform while it loads',
      args: PER_FUNCTION,
      inject: async (context) => {
        await whileLoading(context);
        return killChild(context, 'transform-1');
      },
    },
    {
      name: 'aggregate-kill',
      fault: 'kill -9 aggregate while it merges',
      args: PER_FUNCTION,
      inject: async (context) => {
        await whileAggregating(context);
        return killChild(context, 'aggregate-1');
      },
    },
    {
      name: 'emulator-kill',
      fault: 'kill -9 the Event Hubs emulator',
      args: PER_FUNCTION,
      inject: async (context) => {
        await whileLoading(context);
        return killChild(context, 'eventhubs');
      },
    },
    {
      name: 'azurite-kill',
      fault: 'kill -9 Azurite',
      args: PER_FUNCTION,
      landingMayReturn: true,
      inject: async (context) => {
        await whileLoading(context);
        return killChild(context, 'azurite');
      },
    },
    {
      name: 'tree-kill',
      fault: 'kill -9 npm start, then npm start again',
      args: PER_FUNCTION,
      inject: async (context) => {
        await whileLoading(context);
        const children = await context.stack.children();
        await context.stack.kill();
        await waitUntil(
          'every child to stop on its own',
          () => children.every((child) => processStarted(child.pid) === undefined),
          120_000,
          200,
        );
        await context.stack.start({ args: PER_FUNCTION, env: context.settings });
        context.note(`${children.length} children stopped on their own; npm start again`);
        return Date.now();
      },
    },
    {
      name: 'sqlite-locked',
      fault: 'SQLite locked by another writer for 30 s',
      args: PER_FUNCTION,
      inject: async (context) => {
        await whileLoading(context);
        return holdSqliteLock(context, 30_000);
      },
    },
    {
      name: 'poison-event',
      fault: 'an event that is not a chunk on the records hub',
      args: PER_FUNCTION,
      expectedDeadLetters: 1,
      inject: async (context) => {
        await whileLoading(context);
        const producer = new EventHubProducerClient(context.stack.settings.ETL_EVENTHUB!, context.stack.settings.ETL_RECORDS_HUB!);
        try {
          await producer.sendBatch([{ body: 'this is not a chunk event' }], { partitionId: '0' });
        } finally {
          await producer.close();
        }
        return Date.now();
      },
    },
    {
      name: 'redelivery-storm',
      fault: 'the whole records hub delivered again',
      args: PER_FUNCTION,
      inject: async (context) => {
        const { ETL_RECORDS_HUB: hub, ETL_TRANSFORM_CONSUMER_GROUP: group } = context.stack.settings;
        // Once transform has checkpointed its first batches, so that there is something to undo.
        await waitUntil('transform checkpoints', async () => (await checkpointBlobs(context, hub!, group!)).length > 0);
        const complete = (await ourFiles(context)).every((file) => file.state === 'complete');
        // Killed first, so that no checkpoint is written after they are deleted: the restarted
        // transform finds none and reads every partition from its first event.
        const pid = await context.stack.pidOf('transform-1');
        process.kill(pid, 'SIGKILL');
        const deleted = await deleteCheckpoints(context, hub!, group!);
        await context.stack.restarted('transform-1', pid);
        context.note(`${deleted} checkpoints of transform deleted ${complete ? 'after' : 'during'} the load: every chunk delivered again`);
        return Date.now();
      },
    },
    {
      name: 'scale-out',
      fault: 'two host instances added mid-load',
      inject: async (context) => {
        await whileLoading(context);
        await extraHosts(context, 2);
        return Date.now();
      },
    },
    {
      name: 'scale-in',
      fault: 'two of three host instances removed mid-load',
      beforeLoad: async (context) => {
        scaleInHosts = await extraHosts(context, 2);
      },
      inject: async (context) => {
        await whileLoading(context);
        // As a platform scales in: SIGTERM, in-flight work finishes, ownerships are given up.
        await Promise.all(scaleInHosts.map((host) => host.stop()));
        return Date.now();
      },
    },
    {
      name: 'emulator-disk-full',
      fault: "the emulator's disk full for 15 s",
      args: PER_FUNCTION,
      prepare: async (stateDir, context) => {
        if (process.getuid?.() !== 0) throw new SkipScenario('mounting a small filesystem for the emulator needs root');
        const dataDir = join(stateDir, 'eventhubs');
        await mkdir(dataDir, { recursive: true });
        execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${diskBytes}`, 'tmpfs', dataDir]);
        context.onCleanup(async () => void execFileSync('umount', ['-l', dataDir]));
        context.note(`the emulator's folder on a ${(diskBytes / 1024 / 1024).toFixed(1)} MB tmpfs`);
      },
      inject: async (context) => {
        const dataDir = join(context.stack.stateDir, 'eventhubs');
        await waitUntil(
          'the disk to fill',
          async () => {
            const space = await statfs(dataDir);
            return space.bavail * space.bsize < 256 * 1024;
          },
          600_000,
          100,
        );
        const fullAt = Date.now();
        await new Promise((resolve) => setTimeout(resolve, 15_000));
        execFileSync('mount', ['-o', 'remount,size=2g', dataDir]);
        context.note(`full ${((Date.now() - fullAt) / 1000).toFixed(0)} s, then grown to 2 GB`);
        return Date.now();
      },
    },
  ];
}

/** The emulator's filesystem in the disk-full scenario, per row of the load: about a third of what the records hub needs. */
const DISK_BYTES_PER_ROW = 40;

/** Another process takes SQLite's write lock (BEGIN IMMEDIATE) and holds it; over when it lets go. */
async function holdSqliteLock(context: ChaosContext, holdMs: number): Promise<number> {
  const script = `
    const Database = require('better-sqlite3');
    const db = new Database(process.argv[1]);
    db.pragma('busy_timeout = 120000');
    db.exec('BEGIN IMMEDIATE');
    console.log('locked');
    setTimeout(() => { db.exec('COMMIT'); db.close(); console.log('released'); }, Number(process.argv[2]));
  `;
  const locker = spawn(process.execPath, ['-e', script, context.stack.settings.ETL_SQLITE_PATH!, String(holdMs)], {
    cwd: REPOSITORY_ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: locker.stdout! });
  const said = (word: string) => new Promise<void>((resolve) => lines.on('line', (line) => line === word && resolve()));
  const [locked, released] = [said('locked'), said('released')];
  await locked;
  context.note(`write lock held ${holdMs / 1000} s by pid ${locker.pid}`);
  await released;
  return Date.now();
}

/** The names of a consumer group's checkpoint blobs for a hub (`<namespace>/<hub>/<group>/checkpoint/<partition>`). */
async function checkpointBlobs(context: ChaosContext, hub: string, consumerGroup: string): Promise<string[]> {
  const container = new ContainerClient(context.stack.settings.AzureWebJobsStorage!, EVENTHUB_CHECKPOINT_CONTAINER);
  const infix = `/${hub}/${consumerGroup}/checkpoint/`.toLowerCase();
  const names: string[] = [];
  for await (const blob of container.listBlobsFlat()) if (blob.name.toLowerCase().includes(infix)) names.push(blob.name);
  return names;
}

/** Deletes a consumer group's checkpoint blobs for a hub; returns how many there were. */
async function deleteCheckpoints(context: ChaosContext, hub: string, consumerGroup: string): Promise<number> {
  const container = new ContainerClient(context.stack.settings.AzureWebJobsStorage!, EVENTHUB_CHECKPOINT_CONTAINER);
  const names = await checkpointBlobs(context, hub, consumerGroup);
  for (const name of names) await container.deleteBlob(name);
  return names.length;
}
