/**
 * The local stack with autoscaling on: a file big enough to leave a backlog on the records hub makes
 * the local scaler start extra host processes, and once the backlog is gone (and the shortened
 * scale-in hold has passed) it stops them again, with every row of the file loaded.
 *
 * Host processes can take longer to start than the in-process host takes to drain this small file
 * (a cold module cache, a loaded machine); the scale-in is then asked for before they are ready and
 * they stop as soon as they are up. The scaler's history records every change of the running count
 * for that reason, and the phases share one deadline instead of each guessing its own.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../local-stack.js';
import { generateIotCsv } from '../../sample-data/iot-csv-generator.js';
import { getEtlRuntime } from '../../../shared/runtime/etl-runtime.js';
import type { FileManifest } from '../../../shared/ports/file-manifest.js';
import { waitFor as pollFor } from '../../host/test/wait-for.js';

const waitFor = <T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs: number): Promise<T> =>
  pollFor(what, probe, timeoutMs, 200);

describe('local stack with autoscaling', () => {
  let stateDir: string;
  let stack: LocalStack;
  const lines: string[] = [];

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'etl-autoscale-'));
    stack = await startLocalStack({
      stateDir,
      ports: 'free',
      partitions: 4,
      scanIntervalMs: 200,
      emulator: 'in-process',
      fastLoadBalancing: true,
      settings: { ETL_CHUNK_MAX_ROWS: '20' },
      // Production rules, with a small per-instance target and a short scale-in hold so a small file shows both directions.
      autoscale: { mode: 'functions', max: 3, pollMs: 250, functions: { targetUnprocessedEventThreshold: 5, scaleInHoldMs: 3000 } },
      log: (line) => {
        if (line.startsWith('[scaler]')) lines.push(line);
      },
    });
    // Only bounds a hang: starting the stack's processes took over 120 s on the shared, oversubscribed machine.
  }, 400_000);

  afterAll(async () => {
    await stack?.close();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  it('scales out on the backlog and back in once it is processed', async () => {
    const generated = generateIotCsv({ rows: 4000, seed: 11, duplicateRate: 0, badRowRate: 0, spreadMinutes: 60 });
    const text = [...generated.chunks].join('');
    await stack.blobService
      .getContainerClient(stack.config.containers.landing)
      .getBlockBlobClient('iot_events/autoscale.csv')
      .upload(text, Buffer.byteLength(text));

    const scaler = stack.scaler!;
    // One bound on the whole run, which only catches a hang: alone this takes ~15 s, but with the
    // shared 2-core machine many times oversubscribed it has taken 150 s.
    const deadline = Date.now() + 300_000;
    const left = () => Math.max(0, deadline - Date.now());
    await waitFor('a scale-out', () => (scaler.history.some((sample) => sample.instances > 1) ? true : undefined), left());
    const runtime = await getEtlRuntime();
    const file = await waitFor<FileManifest>(
      'the file to complete',
      async () => {
        const [found] = await runtime.store.manifest.listFiles({ limit: 10 });
        return found?.state === 'complete' ? found : undefined;
      },
      left(),
    );
    await waitFor(
      'the scale-in',
      () => {
        const last = scaler.history.at(-1);
        return last && last.instances === 1 && last.lag === 0 ? true : undefined;
      },
      left(),
    );

    expect(file).toMatchObject({ totalRows: 4000, loadedRows: 4000 });
    const peak = Math.max(...scaler.history.map((sample) => sample.instances));
    expect(peak).toBeGreaterThan(1);
    expect(peak).toBeLessThanOrEqual(3);
    expect(lines.some((line) => /functions: lag \d+ .*instances 1→[23]/.test(line))).toBe(true);
    expect(lines.some((line) => /instances [23]→1/.test(line))).toBe(true);
  }, 330_000);
});
