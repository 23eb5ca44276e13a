/**
 * `EtlStore` on Azure SQL through `mssql`: one connection pool per process, sized from config;
 * Microsoft Entra (managed identity) or a connection string; migrations under an app lock.
 */
import sql from 'mssql';
import type { DatasetDeclaration } from '../../datasets/dataset-declaration.js';
import type { EtlStore } from '../../ports/etl-store.js';
import { datasetTables } from '../dataset-tables.js';
import { migrateInTransaction, type MigrationDialect } from '../schema-migrations.js';
import { runAsync } from '../sql-steps.js';
import type { SqlConfig } from '../sql-config.js';
import { MssqlFactLoader } from './mssql-fact-loader.js';
import { mssqlPoolConfig, type PoolConfigOptions } from './mssql-pool-config.js';
import { MssqlManifestStore } from './mssql-manifest-store.js';
import { MssqlOutboxStore } from './mssql-outbox-store.js';
import { MssqlReportQuery } from './mssql-report-query.js';
import { MssqlWindowStore } from './mssql-window-store.js';
import {
  MSSQL_INSERT_SCHEMA_VERSION,
  MSSQL_MIGRATION_LOCK,
  MSSQL_MIGRATION_STEPS,
  MSSQL_REGISTER_DATASET,
  MSSQL_SCHEMA_VERSION_TABLE,
  MSSQL_SELECT_SCHEMA_VERSIONS,
  ddlStepValues,
  mssqlDatasetSteps,
  type DdlStep,
} from './mssql-schema.js';
import { MssqlSession } from './mssql-session.js';
import type { TsqlRunner } from './tsql-session.js';
import { withTransientRetry } from './mssql-transient-policy.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../../runtime/retry.js';

export interface MssqlEtlStoreOptions extends Omit<PoolConfigOptions, 'parseConnectionString'> {
  readonly now?: () => Date;
  readonly retry?: RetryPolicy;
}

/** Implements the `EtlStore` port on Azure SQL. */
export class MssqlEtlStore implements EtlStore {
  readonly facts: MssqlFactLoader;
  readonly outbox: MssqlOutboxStore;
  readonly manifest: MssqlManifestStore;
  readonly windows: MssqlWindowStore;
  readonly report: MssqlReportQuery;
  readonly query: MssqlReportQuery;

  private constructor(
    private readonly session: MssqlSession,
    private readonly now: () => Date,
  ) {
    this.facts = new MssqlFactLoader(session, now);
    this.outbox = new MssqlOutboxStore(session, now);
    this.manifest = new MssqlManifestStore(session);
    this.windows = new MssqlWindowStore(session, now);
    this.report = new MssqlReportQuery(session);
    this.query = this.report;
  }

  /** Connects the pool (retrying transient failures, e.g. a paused serverless database waking up). */
  static async open(config: Extract<SqlConfig, { driver: 'mssql' }>, options: MssqlEtlStoreOptions = {}): Promise<MssqlEtlStore> {
    const retry = options.retry ?? DEFAULT_RETRY_POLICY;
    const poolConfig = mssqlPoolConfig(config, {
      ...options,
      parseConnectionString: (text) => sql.ConnectionPool.parseConnectionString(text),
    });
    const pool = await withTransientRetry('connect', () => new sql.ConnectionPool(poolConfig).connect(), retry);
    return new MssqlEtlStore(new MssqlSession(pool, retry), options.now ?? (() => new Date()));
  }

  /** Numbered migrations then dataset objects, in one transaction holding an exclusive app lock. */
  async migrate(datasets: readonly DatasetDeclaration[]): Promise<void> {
    const tables = datasets.map(datasetTables); // validates identifiers before anything is sent
    await this.session.transaction('migrate', (runner) =>
      runAsync(migrateInTransaction(mssqlMigrationDialect(runner), tables, this.now())),
    );
  }

  close(): Promise<void> {
    return this.session.close();
  }
}

/** T-SQL statements for the migration algorithm (`../schema-migrations.ts`), on the runner of one transaction. */
export function mssqlMigrationDialect(runner: TsqlRunner): MigrationDialect<DdlStep> {
  return {
    scripts: MSSQL_MIGRATION_STEPS,
    versionTable: MSSQL_SCHEMA_VERSION_TABLE,
    lock: async () => {
      await runner.run(MSSQL_MIGRATION_LOCK, {
        resource: 'scalable-etl-migrate',
        mode: 'Exclusive',
        owner: 'Transaction',
        timeoutMs: 120_000,
      });
    },
    run: async (step) => {
      await runner.run(step.statement, ddlStepValues(step));
    },
    appliedVersions: async () => (await runner.run(MSSQL_SELECT_SCHEMA_VERSIONS)).rows.map((row) => Number(row.version)),
    recordVersion: async (migration, at) => {
      await runner.run(MSSQL_INSERT_SCHEMA_VERSION, { version: migration.version, description: migration.description, at });
    },
    datasetObjects: mssqlDatasetSteps,
    registerDataset: async (table, at) => {
      await runner.run(MSSQL_REGISTER_DATASET, { dataset: table.dataset.name, version: table.dataset.version, at });
    },
  };
}
