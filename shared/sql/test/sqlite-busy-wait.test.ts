/**
 * better-sqlite3 waits for another process's write lock inside a synchronous call, so the wait
 * blocks the whole event loop: no timer runs, not even the renewal of a landing message's
 * visibility. The store's busy timeout therefore stays short, and a longer lock is waited out by the
 * retry loop, which sleeps between attempts with the event loop free (docs/faults.md, "Retries").
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { iotEventsDataset } from '../../datasets/iot-events.js';
import { isTransient, RetriesExhaustedError, RetryBudget } from '../../runtime/retry.js';
import { SqliteEtlStore } from '../sqlite/sqlite-etl-store.js';

const LOCK_MS = 12_000;

/** Another process holding the write lock (`BEGIN IMMEDIATE`) for `ms`; resolves once it holds it. */
async function holdWriteLock(path: string, ms: number): Promise<ChildProcess> {
  const script = `const D = require('better-sqlite3'); const db = new D(process.argv[1]); db.exec('BEGIN IMMEDIATE');
    process.stdout.write('locked\\n'); setTimeout(() => { db.exec('COMMIT'); db.close(); }, Number(process.argv[2]));`;
  const child = spawn(process.execPath, ['-e', script, path, String(ms)], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (data: Buffer) => {
      if (data.toString().includes('locked')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`lock holder exited with ${code}`)));
  });
  return child;
}

/** The longest time between two ticks of a 50 ms interval while `work` runs: how long the event loop was blocked. */
async function longestStall<T>(work: () => Promise<T>): Promise<{ result: T | Error; stallMs: number }> {
  let last = performance.now();
  let stallMs = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    stallMs = Math.max(stallMs, now - last);
    last = now;
  }, 50);
  let result: T | Error;
  try {
    result = await work();
  } catch (error) {
    result = error as Error;
  }
  stallMs = Math.max(stallMs, performance.now() - last);
  clearInterval(timer);
  return { result, stallMs };
}

describe('SQLite store while another process holds the write lock', () => {
  let dir: string;
  let holder: ChildProcess | undefined;
  afterEach(() => {
    holder?.kill('SIGKILL');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function openStore(): Promise<SqliteEtlStore> {
    dir = mkdtempSync(join(tmpdir(), 'etl-sqlite-busy-'));
    const store = await SqliteEtlStore.open(join(dir, 'etl.sqlite'));
    await store.migrate([iotEventsDataset]);
    return store;
  }
  const begin = (store: SqliteEtlStore, fileId: string) =>
    store.manifest.beginFile({
      fileId,
      dataset: 'iot_events',
      blobName: `iot_events/${fileId}.csv`,
      blobEtag: 'e',
      receivedAt: new Date().toISOString(),
    });

  it("waits out a lock longer than its busy timeout outside any retry loop (as extract's manifest calls run), the event loop free", async () => {
    const store = await openStore();
    try {
      holder = await holdWriteLock(join(dir, 'etl.sqlite'), LOCK_MS);
      const { result, stallMs } = await longestStall(() => begin(store, 'f1'));
      expect(result).not.toBeInstanceOf(Error);
      expect((result as { created: boolean }).created).toBe(true);
      expect(stallMs).toBeLessThan(LOCK_MS - 4_000);
    } finally {
      await store.close();
    }
  }, 60_000);

  it("inside a handler's retry loop makes one attempt and hands the loop a transient error within seconds", async () => {
    const store = await openStore();
    try {
      holder = await holdWriteLock(join(dir, 'etl.sqlite'), LOCK_MS);
      const handlerLoop = new RetryBudget({ maxAttempts: 1, baseDelayMs: 200, budgetMs: 60_000 });
      const { result, stallMs } = await longestStall(() => handlerLoop.run(() => begin(store, 'f2')));
      expect(result).toBeInstanceOf(RetriesExhaustedError);
      expect(isTransient((result as RetriesExhaustedError).lastError)).toBe(true);
      expect(stallMs).toBeLessThan(LOCK_MS - 4_000);
    } finally {
      await store.close();
    }
  }, 60_000);
});
