/**
 * The `mssql` pool configuration for a `SqlConfig`, built as plain data (tests check it without
 * connecting). Managed identity uses the driver's own Entra modes, so no token code lives here.
 */
import type { TokenCredential } from '@azure/core-auth';
import type { config as MssqlConfig } from 'mssql';
import { EtlError } from '../../errors/etl-error.js';
import type { SqlConfig } from '../sql-config.js';

type MssqlSqlConfig = Extract<SqlConfig, { driver: 'mssql' }>;

export interface PoolConfigOptions {
  /**
   * `default`: the driver's `azure-active-directory-default` (managed identity in Functions,
   * workload identity on AKS, a developer login locally; `clientId` picks a user-assigned identity).
   * `msi-app-service`: `azure-active-directory-msi-app-service`, App Service / Functions only.
   */
  readonly identityMode?: 'default' | 'msi-app-service';
  /**
   * Signs in with this credential instead (the driver's `token-credential` mode): the deploy
   * tooling passes the Azure CLI's, so a workstation never falls back to probing for a managed identity.
   */
  readonly credential?: TokenCredential;
  /** Parses a connection string (mssql's own parser, injected so this module stays pure). */
  readonly parseConnectionString?: (connectionString: string) => MssqlConfig;
}

export function mssqlPoolConfig(config: MssqlSqlConfig, options: PoolConfigOptions = {}): MssqlConfig {
  const pool = { max: config.poolMax, min: 0, idleTimeoutMillis: 30_000 };
  if (config.auth === 'connection-string') {
    if (!config.connectionString)
      throw new EtlError('INVALID_CONFIG', 'ETL_SQL_CONNECTION_STRING is required when ETL_SQL_AUTH is connection-string');
    if (!options.parseConnectionString) throw new EtlError('INTERNAL', 'no connection string parser given');
    const parsed = options.parseConnectionString(config.connectionString);
    return { ...parsed, pool: { ...parsed.pool, ...pool } };
  }
  if (!config.server || !config.database)
    throw new EtlError('INVALID_CONFIG', 'ETL_SQL_SERVER and ETL_SQL_DATABASE are required for managed identity');
  const clientId = config.clientId ? { clientId: config.clientId } : {};
  return {
    server: config.server,
    database: config.database,
    port: 1433,
    options: { encrypt: true, trustServerCertificate: false, appName: 'scalable-etl' },
    authentication: options.credential
      ? { type: 'token-credential', options: { credential: options.credential } }
      : options.identityMode === 'msi-app-service'
        ? { type: 'azure-active-directory-msi-app-service', options: clientId }
        : { type: 'azure-active-directory-default', options: clientId },
    pool,
    connectionTimeout: 30_000,
    requestTimeout: 60_000,
  };
}
