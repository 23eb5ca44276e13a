/**
 * Supervision with real processes: a host process and the emulator killed with SIGKILL in the middle
 * of a file are reported and started again, and the file still loads every row once; a child that
 * keeps dying stops the whole stack with a clear message.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../local-stack.js';
import { uploadGeneratedIotCsv } from '../upload-file.js';
import { getEtlRuntime } from '../../../shared/runtime/etl-runtime.js';
import { iotEventsDataset } from '../../../shared/datasets/iot-events.js';
import type { FileManifest } from '../../../shared/ports/file-manifest.js';
import { processStarted } from '../../supervision/stack-processes.js';
import { waitFor } from '../../host/test/wait-for.js';

const pidGone = (pid: number) => processStarted(pid) === undefined;

describe('local stack supervision', () => {
  let stateDir: string;
  let stack: LocalStack;
  const lines: string[] = [];

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'etl-supervision-'));
    stack = await startLocalStack({
      stateDir,
      ports: 'free',
      partitions: 2,
      scanIntervalMs: 200,
      placement: 'per-function',
      fastLoadBalancing: true,
      settings: { ETL_CHUNK_MAX_ROWS: '100', ETL_TRANSFORM_TRANSACTION_ROWS: '200' },
      restartPolicy: { firstDelayMs: 200 },
      log: (line) => lines.push(line),
    });
    // Only bounds a hang: starting the stack's processes took over 120 s on the shared, oversubscribed machine.
  }, 400_000);

  afterAll(async () => {
    await stack?.close();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  it('restarts a host process and the emulator killed in the middle of a file, and loads every row once', async () => {
    const runtime = await getEtlRuntime();
    const transform = stack.hostProcesses.find((info) => info.instanceId === 'transform-1')!;
    const emulator = stack.serviceProcesses.find((info) => info.service === 'eventhubs')!;
    const [transformPid, emulatorPid] = [transform.pid, emulator.pid];
    const expected = await uploadGeneratedIotCsv(
      stack.blobService,
      'iot_events/killed.csv',
      { rows: 10_000, seed: 21, duplicateRate: 0.01, badRowRate: 0.01 },
      stack.config.containers.landing,
    );

    // Transform is loading: kill it, then the emulator, while the file is in flight.
    await waitFor(
      'transform to load the first chunks',
      async () => {
        const [file] = await runtime.store.manifest.listFiles({ limit: 1 });
        return file && file.chunksLoaded > 0 ? true : undefined;
      },
      120_000,
      50,
    );
    process.kill(transformPid, 'SIGKILL');
    await waitFor('transform to run again', () => (transform.pid !== transformPid ? true : undefined), 120_000, 100);
    process.kill(emulatorPid, 'SIGKILL');
    await waitFor('the emulator to run again', () => (emulator.pid !== emulatorPid ? true : undefined), 120_000, 100);

    const file = await waitFor<FileManifest>(
      'the file to complete',
      async () => {
        const [found] = await runtime.store.manifest.listFiles({ limit: 1 });
        return found?.state === 'complete' ? found : undefined;
      },
      240_000,
      200,
    );
    expect(file).toMatchObject({ totalRows: expected.rows, rejectedRows: expected.badRows, loadedRows: expected.distinctKeys });
    expect(file.validRows).toBe(file.loadedRows + file.duplicateRows);
    expect(await runtime.store.query.countFacts(iotEventsDataset)).toBe(expected.distinctKeys);
    await waitFor(
      'every window row',
      async () => {
        const windows = await runtime.store.windows.listWindows(iotEventsDataset, { limit: 1_000_000 });
        return windows.reduce((sum, window) => sum + window.count, 0) === expected.distinctKeys ? true : undefined;
      },
      120_000,
      200,
    );

    expect(lines).toContain(
      `[supervisor] transform-1 (pid ${transformPid}) died: killed by SIGKILL; restarting in 200 ms (death 1 of 5 allowed within 120 s)`,
    );
    expect(lines).toContain(
      `[supervisor] eventhubs (pid ${emulatorPid}) died: killed by SIGKILL; restarting in 200 ms (death 1 of 5 allowed within 120 s)`,
    );
    expect(lines).toContain(`[supervisor] transform-1 is running again (pid ${transform.pid})`);
    expect(lines).toContain(`[supervisor] eventhubs is running again (pid ${emulator.pid})`);
  }, 600_000);
});

describe('a child that keeps dying', () => {
  it('stops the whole stack with a clear message', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'etl-giveup-'));
    try {
      const stack = await startLocalStack({
        stateDir,
        ports: 'free',
        functionsHost: false,
        restartPolicy: { firstDelayMs: 100, maxDeaths: 1 },
        log: () => {},
      });
      const azurite = stack.serviceProcesses.find((info) => info.service === 'azurite')!;
      const emulatorPid = stack.serviceProcesses.find((info) => info.service === 'eventhubs')!.pid;
      const firstPid = azurite.pid;
      process.kill(firstPid, 'SIGKILL');
      await waitFor('Azurite to run again', () => (azurite.pid !== firstPid ? true : undefined), 60_000, 50);
      process.kill(azurite.pid, 'SIGKILL');
      const error = await stack.failure;
      expect(error.message).toMatch(/^azurite died 2 times within 120 s \(last: killed by SIGKILL\); stopping the stack/);
      // Stopped: the emulator too, and the state folder's process list is gone.
      await waitFor('the emulator to stop', () => (pidGone(emulatorPid) ? true : undefined), 30_000, 100);
      expect(existsSync(join(stateDir, 'processes.json'))).toBe(false);
    } finally {
      await rm(stateDir, { recursive: true, force: true });
    }
  }, 120_000);
});
