/** The SQL contract suite on SQLite (always runs): each test gets a fresh database file. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { iotEventsDataset } from '../../datasets/iot-events.js';
import { isEtlError } from '../../errors/etl-error.js';
import { RetriesExhaustedError } from '../../runtime/retry.js';
import { SqliteEtlStore } from '../sqlite/sqlite-etl-store.js';
import { describeEtlStoreContract } from './etl-store.contract.js';

const dir = mkdtempSync(join(tmpdir(), 'etl-sqlite-contract-'));
let files = 0;

describeEtlStoreContract({
  name: 'SQLite (better-sqlite3)',
  async config() {
    files += 1;
    return { driver: 'sqlite', path: join(dir, `etl-${files}.sqlite`) };
  },
});

describe('SQLite store errors outside a retry loop', () => {
  it("fail with the EtlError itself, not the retry loop's RetriesExhaustedError", async () => {
    const store = await SqliteEtlStore.open(join(dir, 'closed.sqlite'));
    await store.migrate([]);
    const manifest = store.manifest;
    await store.close();
    const failure = await manifest.getFile('f1').catch((error: unknown) => error);
    expect(failure).not.toBeInstanceOf(RetriesExhaustedError);
    expect(isEtlError(failure, 'SQL_FAILED')).toBe(true);
  });

  it('retry on the policy the store was opened with, then give up with SQL_FAILED', async () => {
    const path = join(dir, 'locked.sqlite');
    const retry = { maxAttempts: 2, baseDelayMs: 10, budgetMs: 60_000 };
    const store = await SqliteEtlStore.open(path, { retry, busyTimeoutMs: 50 });
    const holder = new Database(path);
    try {
      await store.migrate([iotEventsDataset]);
      holder.exec('BEGIN IMMEDIATE'); // another writer holds the lock for the whole call
      const failure = await store.manifest
        .beginFile({
          fileId: 'f1',
          dataset: 'iot_events',
          blobName: 'iot_events/f1.csv',
          blobEtag: 'e',
          receivedAt: '2026-11-20T10:00:00.000Z',
        })
        .catch((error: unknown) => error);
      expect(isEtlError(failure, 'SQL_FAILED')).toBe(true);
      expect((failure as Error).message).toMatch(/gave up after 2 attempts/);
    } finally {
      holder.close();
      await store.close();
    }
  });
});
