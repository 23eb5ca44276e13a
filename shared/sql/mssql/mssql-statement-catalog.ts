/**
 * Every statement the Azure SQL adapter can issue for some datasets, by name: what the offline
 * tests check and what the reviewed snapshot pins.
 */
import type { DatasetDeclaration } from '../../datasets/dataset-declaration.js';
import { datasetTables } from '../dataset-tables.js';
import {
  MSSQL_INSERT_SCHEMA_VERSION,
  MSSQL_MIGRATION_LOCK,
  MSSQL_MIGRATION_STEPS,
  MSSQL_REGISTER_DATASET,
  MSSQL_SCHEMA_VERSION_TABLE,
  MSSQL_SELECT_SCHEMA_VERSIONS,
  mssqlDatasetSteps,
} from './mssql-schema.js';
import * as dml from './mssql-statements.js';
import { XACT_ABORT } from './mssql-session-statements.js';
import type { TsqlStatement } from './tsql-types.js';

export interface NamedStatement {
  readonly name: string;
  readonly statement: TsqlStatement;
}

export function mssqlStatementCatalog(datasets: readonly DatasetDeclaration[]): NamedStatement[] {
  const catalog: NamedStatement[] = [
    { name: 'session.xact_abort', statement: XACT_ABORT },
    { name: 'migrate.lock', statement: MSSQL_MIGRATION_LOCK },
    { name: `migrate.create.${MSSQL_SCHEMA_VERSION_TABLE.name}`, statement: MSSQL_SCHEMA_VERSION_TABLE.statement },
    { name: 'migrate.select_versions', statement: MSSQL_SELECT_SCHEMA_VERSIONS },
    { name: 'migrate.insert_version', statement: MSSQL_INSERT_SCHEMA_VERSION },
    { name: 'migrate.register_dataset', statement: MSSQL_REGISTER_DATASET },
  ];
  for (const [version, steps] of Object.entries(MSSQL_MIGRATION_STEPS)) {
    for (const step of steps)
      catalog.push({ name: `migration${version}.${step.action ?? 'create'}.${step.name}`, statement: step.statement });
  }
  const core: Record<string, TsqlStatement> = {
    claim_ledger: dml.CLAIM_LEDGER,
    claim_ledger_many: dml.CLAIM_LEDGER_MANY,
    select_file: dml.SELECT_FILE,
    begin_file: dml.BEGIN_FILE,
    finish_extract: dml.FINISH_EXTRACT,
    chunk_loaded: dml.CHUNK_LOADED,
    fail_file: dml.FAIL_FILE,
    touch_extracting: dml.TOUCH_EXTRACTING,
    add_dead_lettered: dml.ADD_DEAD_LETTERED,
    list_files: dml.LIST_FILES,
    insert_outbox: dml.INSERT_OUTBOX,
    list_unpublished: dml.LIST_UNPUBLISHED,
    mark_published: dml.MARK_PUBLISHED,
  };
  for (const [name, statement] of Object.entries(core)) catalog.push({ name, statement });
  for (const dataset of datasets) {
    const tables = datasetTables(dataset);
    for (const step of mssqlDatasetSteps(tables)) catalog.push({ name: `${dataset.name}.create.${step.name}`, statement: step.statement });
    const statements = dml.datasetStatements(tables);
    const perDataset: Record<string, TsqlStatement | undefined> = {
      insert_facts: statements.insertFacts,
      select_window_for_update: statements.selectWindowForUpdate,
      insert_window: statements.insertWindow,
      update_window: statements.updateWindow,
      list_windows: statements.listWindows,
      count_facts: statements.countFacts,
      group_by_window: statements.groupByWindow,
      daily_percentile: statements.dailyPercentile,
      ...Object.fromEntries(dataset.measures.map((measure) => [`measure_values.${measure}`, statements.measureValues(measure)])),
    };
    for (const [name, statement] of Object.entries(perDataset)) {
      if (statement) catalog.push({ name: `${dataset.name}.${name}`, statement });
    }
  }
  return catalog;
}
