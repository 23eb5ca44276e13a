/**
 * The local stack with the 'per-function' placement (the Flex Consumption layout): extract,
 * transform and aggregate each run in a host process of their own, this process keeps the HTTP and
 * timer functions, and a file still goes all the way through. Transform gets two processes of its
 * own (`functionInstances`). Each process's own metrics show which function did the work where.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OWN_PROCESS_GROUPS, startLocalStack, type LocalStack } from '../local-stack.js';
import { generateIotCsv } from '../../sample-data/iot-csv-generator.js';
import { getEtlRuntime } from '../../../shared/runtime/etl-runtime.js';
import { iotEventsDataset } from '../../../shared/datasets/iot-events.js';
import type { FileManifest } from '../../../shared/ports/file-manifest.js';
import { scrapeMetrics, sumOf } from '../../../shared/telemetry/prometheus-text-parser.js';
import { waitFor } from '../../host/test/wait-for.js';

/** Sum of one counter over all its label sets in a process's `/api/metrics`. */
async function counter(baseUrl: string | undefined, name: string): Promise<number> {
  expect(baseUrl).toBeDefined();
  return sumOf(await scrapeMetrics(`${baseUrl}/api/metrics`), name);
}

describe("local stack with the 'per-function' placement", () => {
  let stateDir: string;
  let stack: LocalStack;

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'etl-placement-'));
    stack = await startLocalStack({
      stateDir,
      ports: 'free',
      partitions: 2,
      scanIntervalMs: 200,
      emulator: 'in-process',
      placement: 'per-function',
      functionInstances: { transform: 2 },
      settings: { ETL_CHUNK_MAX_ROWS: '200' },
      log: () => {},
    });
    // Only bounds a hang: starting the stack's processes took over 120 s on the shared, oversubscribed machine.
  }, 400_000);

  afterAll(async () => {
    await stack?.close();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  it('runs each event-driven function in a process of its own and still loads every row', async () => {
    const byFunction = (name: string) => stack.hostProcesses.filter((info) => info.functions.includes(name));
    const [front] = stack.hostProcesses;
    expect(front?.pid).toBe(process.pid);
    expect(front?.functions).toEqual(expect.arrayContaining(['outboxRelay', 'extractSweep', 'files', 'metrics', 'health']));
    for (const [name, processes] of [
      ['extract', 1],
      ['transform', 2],
      ['aggregate', 1],
    ] as const) {
      const owners = byFunction(name);
      expect(owners).toHaveLength(processes);
      for (const owner of owners) {
        expect(owner.pid).not.toBe(process.pid);
        expect([...owner.functions].sort()).toEqual([name, 'health', 'metrics'].sort());
      }
    }
    expect(new Set(byFunction('transform').map((owner) => owner.pid)).size).toBe(2);
    // The list instance counts are checked against before the stack starts is what got processes.
    const children = new Set(
      stack.hostProcesses.slice(1).flatMap((owner) => owner.functions.filter((name) => !['health', 'metrics'].includes(name))),
    );
    expect([...children].sort()).toEqual([...OWN_PROCESS_GROUPS].sort());

    const generated = generateIotCsv({ rows: 3000, seed: 5, duplicateRate: 0, badRowRate: 0, spreadMinutes: 30 });
    const text = [...generated.chunks].join('');
    await stack.blobService
      .getContainerClient(stack.config.containers.landing)
      .getBlockBlobClient('iot_events/placement.csv')
      .upload(text, Buffer.byteLength(text));

    const runtime = await getEtlRuntime();
    const file = await waitFor<FileManifest>(
      'the file to complete',
      async () => {
        const [found] = await runtime.store.manifest.listFiles({ limit: 10 });
        return found?.state === 'complete' ? found : undefined;
      },
      90_000,
      200,
    );
    expect(file).toMatchObject({ totalRows: 3000, validRows: 3000, loadedRows: 3000 });
    await waitFor(
      'every window row',
      async () => {
        const windows = await runtime.store.windows.listWindows(iotEventsDataset);
        return windows.reduce((sum, window) => sum + window.count, 0) === 3000 ? true : undefined;
      },
      60_000,
      200,
    );

    // Facts were loaded in the transform processes (between them), not here or in the extract process.
    const [first, second] = byFunction('transform');
    expect((await counter(first!.httpUrl, 'etl_facts_loaded_total')) + (await counter(second!.httpUrl, 'etl_facts_loaded_total'))).toBe(
      3000,
    );
    expect(await counter(byFunction('extract')[0]!.httpUrl, 'etl_facts_loaded_total')).toBe(0);
    expect(await counter(front!.httpUrl, 'etl_facts_loaded_total')).toBe(0);
  }, 180_000);
});

describe('instances per function', () => {
  it('are refused for a function without processes of its own, or without per-function placement, before anything starts', async () => {
    const stateDir = join(tmpdir(), `etl-refused-${process.pid}-${Date.now()}`);
    await expect(
      startLocalStack({ stateDir, ports: 'free', placement: 'per-function', functionInstances: { transfrom: 2 }, log: () => {} }),
    ).rejects.toThrow("no function 'transfrom' runs in processes of its own; those that do: extract, transform, aggregate");
    await expect(startLocalStack({ stateDir, ports: 'free', functionInstances: { transform: 2 }, log: () => {} })).rejects.toThrow(
      "instances per function (transform) need the 'per-function' placement",
    );
    // Nothing started: not even the state folder was made.
    expect(existsSync(stateDir)).toBe(false);
  });
});
