/** The SQL contract suite on SQLite (always runs): each test gets a fresh database file. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
