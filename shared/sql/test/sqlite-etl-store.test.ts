/** The SQL contract suite on SQLite (always runs): each test gets a fresh database file. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
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
});
