/**
 * The statements Azure SQL's migrate issues, in order, through the one migration algorithm: the app
 * lock first, then the version table, the numbered migrations not yet recorded (each recorded after
 * its steps), then every dataset's objects and its registration. No SQL Server runs here, so the
 * runner records the statements and answers the version query, after binding each one's values on a
 * real driver request (which refuses a value the statement does not declare); the T-SQL itself is
 * pinned by mssql-statements.test.ts.
 */
import sql from 'mssql';
import { describe, expect, it } from 'vitest';
import { bindParameters } from '../mssql/mssql-session.js';
import { mssqlMigrationDialect } from '../mssql/mssql-etl-store.js';
import {
  MSSQL_INSERT_SCHEMA_VERSION,
  MSSQL_MIGRATION_LOCK,
  MSSQL_MIGRATION_STEPS,
  MSSQL_REGISTER_DATASET,
  MSSQL_SCHEMA_VERSION_TABLE,
  MSSQL_SELECT_SCHEMA_VERSIONS,
  mssqlDatasetSteps,
} from '../mssql/mssql-schema.js';
import type { TsqlRunner } from '../mssql/tsql-session.js';
import { migrateInTransaction, SCHEMA_MIGRATIONS } from '../schema-migrations.js';
import { runAsync } from '../sql-steps.js';
import { datasetTables } from '../dataset-tables.js';
import { contractDataset } from './contract-fixtures.js';

async function migrateRecording(applied: readonly number[]) {
  const issued: string[] = [];
  const tables = datasetTables(contractDataset('migrated'));
  const runner: TsqlRunner = {
    async run(statement, values) {
      bindParameters(new sql.Request(), statement, values ?? {});
      const name = typeof values?.name === 'string' ? ` ${values.name}` : '';
      const table = typeof values?.table === 'string' ? ` of ${values.table}` : '';
      if (statement === MSSQL_MIGRATION_LOCK) issued.push(`lock ${String(values?.mode)}`);
      else if (statement === MSSQL_SELECT_SCHEMA_VERSIONS) issued.push('select versions');
      else if (statement === MSSQL_INSERT_SCHEMA_VERSION) issued.push(`record ${String(values?.version)}`);
      else if (statement === MSSQL_REGISTER_DATASET) issued.push(`register ${String(values?.dataset)}`);
      else issued.push(`ddl${name}${table}`);
      const rows = statement === MSSQL_SELECT_SCHEMA_VERSIONS ? applied.map((version) => ({ version })) : [];
      return { rows, rowsAffected: 0 };
    },
  };
  await runAsync(migrateInTransaction(mssqlMigrationDialect(runner), [tables], new Date('2026-12-07T12:00:00.000Z')));
  return { issued, datasetDdl: mssqlDatasetSteps(tables).map((step) => `ddl ${step.name}`) };
}

describe('Azure SQL migrate, statement order', () => {
  it('on an empty database: lock, version table, every numbered migration recorded after its steps, then the dataset', async () => {
    const { issued, datasetDdl } = await migrateRecording([]);
    const migrations = SCHEMA_MIGRATIONS.flatMap((migration) => [
      ...(MSSQL_MIGRATION_STEPS[migration.version] ?? []).map(
        (step) => `ddl ${step.name}${step.table === undefined ? '' : ` of ${step.table}`}`,
      ),
      `record ${migration.version}`,
    ]);
    expect(issued).toEqual([
      'lock Exclusive',
      `ddl ${MSSQL_SCHEMA_VERSION_TABLE.name}`,
      'select versions',
      ...migrations,
      ...datasetDdl,
      'register migrated',
    ]);
    // Migration 4 looks its column up by table and column name, both bound.
    expect(issued.slice(issued.indexOf('record 3') + 1, issued.indexOf('record 4'))).toEqual(['ddl transform_rejected_rows of etl_files']);
  });

  it('on a database with every migration recorded: no migration runs again, the dataset objects are still checked', async () => {
    const { issued, datasetDdl } = await migrateRecording(SCHEMA_MIGRATIONS.map((migration) => migration.version));
    expect(issued).toEqual([
      'lock Exclusive',
      `ddl ${MSSQL_SCHEMA_VERSION_TABLE.name}`,
      'select versions',
      ...datasetDdl,
      'register migrated',
    ]);
  });
});
