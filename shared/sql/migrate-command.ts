/**
 * Schema migrations as a command: `npx tsx shared/sql/migrate-command.ts` reads the same settings
 * as the app (ETL_SQL_*, ETL_DATASETS_DIR) and creates or upgrades the schema. Processes also
 * migrate at start when ETL_SQL_MIGRATE_ON_START is true; both paths call `runMigrations`.
 */
import { pathToFileURL } from 'node:url';
import type { DatasetDeclaration } from '../datasets/dataset-declaration.js';
import { openEtlStore } from './open-etl-store.js';
import type { SqlConfig } from './sql-config.js';

/** Opens a store, applies the numbered migrations and the datasets' tables (idempotent), closes it. */
export async function runMigrations(config: SqlConfig, datasets: readonly DatasetDeclaration[]): Promise<{ datasets: string[] }> {
  const store = await openEtlStore(config);
  try {
    await store.migrate(datasets);
    return { datasets: datasets.map((dataset) => dataset.name) };
  } finally {
    await store.close();
  }
}

async function main(): Promise<void> {
  const { loadEtlConfig } = await import('../config/etl-config.js');
  const { loadDatasets } = await import('../datasets/dataset-registry.js');
  const config = loadEtlConfig();
  const datasets = await loadDatasets(config.datasetsDir);
  const result = await runMigrations(config.sql, [...datasets.values()]);
  console.log(`migrated ${config.sql.driver} schema; dataset tables: ${result.datasets.join(', ')}`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
    process.exitCode = 1;
  });
}
