/**
 * The whole contract suite on the Azure SQL adapter's own classes, with their T-SQL run on SQLite
 * through the translating session (the schema comes from the SQLite migrations: same names).
 * Evidence for the adapter's logic, not for SQL Server's acceptance of its T-SQL; the two-process
 * case is left to the SQLite and live targets. The session holds values to the T-SQL column and
 * parameter sizes, which SQLite alone would not.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { MssqlFactLoader } from '../mssql/mssql-fact-loader.js';
import { MssqlManifestStore } from '../mssql/mssql-manifest-store.js';
import { MssqlOutboxStore } from '../mssql/mssql-outbox-store.js';
import { MssqlReportQuery } from '../mssql/mssql-report-query.js';
import { MssqlWindowStore } from '../mssql/mssql-window-store.js';
import { SqliteEtlStore } from '../sqlite/sqlite-etl-store.js';
import type { EtlStore } from '../../ports/etl-store.js';
import { describeEtlStoreContract } from './etl-store.contract.js';
import { SqliteTranslatingSession } from './sqlite-translating-session.js';

const dir = mkdtempSync(join(tmpdir(), 'etl-mssql-adapter-contract-'));
let files = 0;

describeEtlStoreContract({
  name: 'Azure SQL adapter classes, T-SQL translated onto SQLite',
  async config() {
    files += 1;
    return { driver: 'sqlite', path: join(dir, `etl-${files}.sqlite`) };
  },
  async open(config): Promise<EtlStore> {
    if (config.driver !== 'sqlite') throw new Error('this target translates onto SQLite');
    const schema = await SqliteEtlStore.open(config.path);
    const db = new Database(config.path);
    db.pragma('busy_timeout = 10000');
    const session = new SqliteTranslatingSession(db);
    const now = () => new Date();
    const report = new MssqlReportQuery(session);
    return {
      facts: new MssqlFactLoader(session, now),
      outbox: new MssqlOutboxStore(session, now),
      manifest: new MssqlManifestStore(session),
      windows: new MssqlWindowStore(session, now),
      report,
      query: report,
      async migrate(datasets) {
        await schema.migrate(datasets);
        session.learnTsqlSchema(datasets);
      },
      async close() {
        db.close();
        await schema.close();
      },
    };
  },
});
