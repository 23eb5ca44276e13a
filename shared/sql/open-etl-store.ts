/**
 * The one way a process gets its `EtlStore`. Each adapter is loaded with a dynamic `import()`, so
 * the Azure deployment never loads better-sqlite3 and the local stack never loads mssql.
 */
import type { EtlStore } from '../ports/etl-store.js';
import type { SqlConfig } from './sql-config.js';
import type { RetryPolicy } from '../runtime/retry.js';

export type { SqlConfig } from './sql-config.js';

/** `retry`: how SQL calls retry outside a handler's retry loop, on either driver (default: the app settings' defaults). */
export async function openEtlStore(config: SqlConfig, options: { readonly retry?: RetryPolicy } = {}): Promise<EtlStore> {
  switch (config.driver) {
    case 'sqlite': {
      const { SqliteEtlStore } = await import('./sqlite/sqlite-etl-store.js');
      return SqliteEtlStore.open(config.path, { retry: options.retry });
    }
    case 'mssql': {
      const { MssqlEtlStore } = await import('./mssql/mssql-etl-store.js');
      return MssqlEtlStore.open(config, { retry: options.retry });
    }
  }
}
