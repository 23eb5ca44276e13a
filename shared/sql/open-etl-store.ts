/**
 * The one way a process gets its `EtlStore`. Each adapter is loaded with a dynamic `import()`, so
 * the Azure deployment never loads better-sqlite3 and the local stack never loads mssql.
 */
import type { EtlStore } from '../ports/etl-store.js';
import type { SqlConfig } from './sql-config.js';
import { EtlError } from '../errors/etl-error.js';

export type { SqlConfig } from './sql-config.js';

export async function openEtlStore(config: SqlConfig): Promise<EtlStore> {
  switch (config.driver) {
    case 'sqlite': {
      const { SqliteEtlStore } = await import('./sqlite/sqlite-etl-store.js');
      return SqliteEtlStore.open(config.path);
    }
    case 'mssql': {
      // The mssql adapter lands in a later commit of issue 4.
      throw new EtlError('INVALID_CONFIG', 'ETL_SQL_DRIVER=mssql is not available yet in this build');
    }
  }
}
