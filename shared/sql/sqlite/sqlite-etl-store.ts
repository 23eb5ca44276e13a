/**
 * `EtlStore` on one SQLite file (the local stack). Several processes share the file: WAL lets
 * readers run beside the one writer, busy_timeout makes a writer wait a little for the lock (a
 * longer lock is a transient error the retry loop waits out), and synchronous=NORMAL is durable
 * across process crashes (WAL) at a fraction of FULL's fsync cost.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { DatasetDeclaration } from '../../datasets/dataset-declaration.js';
import type { EtlStore } from '../../ports/etl-store.js';
import { datasetTables } from '../dataset-tables.js';

/** How long one statement waits for another process's write lock before failing as transient. */
export const SQLITE_BUSY_TIMEOUT_MS = 5_000;
import { migrateInTransaction, type MigrationDialect } from '../schema-migrations.js';
import { runSync } from '../sql-steps.js';
import { SQLITE_MIGRATIONS, SQLITE_SCHEMA_VERSION_TABLE, sqliteDatasetDdl } from './sqlite-schema.js';
import { SqliteFactLoader } from './sqlite-fact-loader.js';
import { SqliteManifestStore } from './sqlite-manifest-store.js';
import { SqliteOutboxStore } from './sqlite-outbox-store.js';
import { SqliteReportQuery } from './sqlite-report-query.js';
import { SqliteWindowStore } from './sqlite-window-store.js';
import { sqliteCaller, toEtlError, type Clock, type SqliteCall } from './sqlite-support.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../../runtime/retry.js';
import { SQLITE_INSERT_SCHEMA_VERSION, SQLITE_REGISTER_DATASET, SQLITE_SELECT_SCHEMA_VERSIONS } from './sqlite-statements.js';

export interface SqliteEtlStoreOptions {
  /** Injected for tests; defaults to the system clock. */
  readonly now?: Clock;
  /** How long a writer waits for another process's write lock (default `SQLITE_BUSY_TIMEOUT_MS`). */
  readonly busyTimeoutMs?: number;
  /** How calls retry outside a handler's retry loop (default: the app settings' defaults), as on Azure SQL. */
  readonly retry?: RetryPolicy;
}

type Parts = Omit<EtlStore, 'migrate' | 'close'>;

export class SqliteEtlStore implements EtlStore {
  private readonly db: Database.Database;
  private readonly now: Clock;
  private readonly call: SqliteCall;
  private parts: Parts | undefined;

  private constructor(db: Database.Database, now: Clock, call: SqliteCall) {
    this.db = db;
    this.now = now;
    this.call = call;
  }

  /** Opens (creating if needed) the database file and sets the pragmas; call `migrate` before use. */
  static async open(path: string, options: SqliteEtlStoreOptions = {}): Promise<SqliteEtlStore> {
    const call = sqliteCaller(options.retry ?? DEFAULT_RETRY_POLICY);
    return call('open', () => {
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      const db = new Database(path);
      // better-sqlite3 waits for the lock inside a synchronous call, blocking the event loop (and
      // every timer, such as a landing message's visibility renewal); so a short wait, and a longer
      // lock is waited out by the retry loop with the loop free (docs/faults.md, "Retries").
      db.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? SQLITE_BUSY_TIMEOUT_MS)}`);
      // 16 KiB pages, for a new file only (an existing one keeps its size): random uuid keys dirty an
      // index page per row, and bigger pages mean fewer of them to split, track and append to the
      // WAL. Measured: docs/benchmarks.md, "SQL load".
      db.pragma('page_size = 16384');
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      // A larger page cache (64 MiB) keeps the key indexes hot; random uuid keys touch pages all over.
      db.pragma('cache_size = -65536');
      // Random keys dirty pages all over the index; checkpointing every 1000 pages (the default)
      // copied and fsynced them after almost every chunk. So a 128 MiB WAL, counted in pages of this
      // file's size (a file made before 16 KiB pages keeps 4 KiB); docs/benchmarks.md, "SQL load".
      const pageBytes = Number(db.pragma('page_size', { simple: true }));
      db.pragma(`wal_autocheckpoint = ${Math.trunc((128 * 1024 * 1024) / pageBytes)}`);
      db.pragma('journal_size_limit = 67108864');
      return new SqliteEtlStore(db, options.now ?? (() => new Date()), call);
    });
  }

  get facts() {
    return this.ready().facts;
  }
  get outbox() {
    return this.ready().outbox;
  }
  get manifest() {
    return this.ready().manifest;
  }
  get windows() {
    return this.ready().windows;
  }
  get report() {
    return this.ready().report;
  }
  get query() {
    return this.ready().query;
  }

  /** Runs the numbered migrations not yet applied, then creates the datasets' tables; all in one IMMEDIATE transaction. */
  async migrate(datasets: readonly DatasetDeclaration[]): Promise<void> {
    const tables = datasets.map(datasetTables); // validates identifiers before anything is written
    await this.call('migrate', () => {
      const dialect = sqliteMigrationDialect(this.db);
      this.db.transaction(() => runSync(migrateInTransaction(dialect, tables, this.now()))).immediate();
    });
    this.parts = undefined; // statements are prepared against the migrated schema
  }

  /** The numbered migrations applied so far (for the migrate command and tests). */
  async schemaVersions(): Promise<number[]> {
    return this.call('schemaVersions', () =>
      (this.db.prepare(SQLITE_SELECT_SCHEMA_VERSIONS).all() as { version: number }[]).map((row) => row.version),
    );
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  /** Statements are prepared lazily: they need the tables `migrate` creates. */
  private ready(): Parts {
    if (!this.parts) {
      try {
        this.parts = this.prepare();
      } catch (error) {
        throw toEtlError(error, 'prepare (was migrate run?)');
      }
    }
    return this.parts;
  }

  private prepare(): Parts {
    const reports = new SqliteReportQuery(this.db, this.call);
    return {
      facts: new SqliteFactLoader(this.db, this.now, this.call),
      outbox: new SqliteOutboxStore(this.db, this.now, this.call),
      manifest: new SqliteManifestStore(this.db, this.call),
      windows: new SqliteWindowStore(this.db, this.now, this.call),
      report: reports,
      query: reports,
    };
  }
}

/** SQLite's statements for the migration algorithm (`../schema-migrations.ts`). */
function sqliteMigrationDialect(db: Database.Database): MigrationDialect<string> {
  return {
    scripts: SQLITE_MIGRATIONS,
    versionTable: SQLITE_SCHEMA_VERSION_TABLE,
    run: (statement) => {
      db.exec(statement);
    },
    appliedVersions: () => (db.prepare(SQLITE_SELECT_SCHEMA_VERSIONS).all() as { version: number }[]).map((row) => row.version),
    recordVersion: (migration, at) => {
      db.prepare(SQLITE_INSERT_SCHEMA_VERSION).run({
        version: migration.version,
        description: migration.description,
        at: at.toISOString(),
      });
    },
    datasetObjects: sqliteDatasetDdl,
    registerDataset: (table, at) => {
      db.prepare(SQLITE_REGISTER_DATASET).run({ dataset: table.dataset.name, version: table.dataset.version, at: at.toISOString() });
    },
  };
}
