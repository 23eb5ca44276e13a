import { describe, expect, it } from 'vitest';
import { loadEtlConfig } from './etl-config.js';
import { EtlError } from '../errors/etl-error.js';

const local = { AzureWebJobsStorage: 'UseDevelopmentStorage=true', ETL_EVENTHUB: 'Endpoint=sb://localhost;SharedAccessKeyName=k;SharedAccessKey=v;UseDevelopmentEmulator=true;' };

function errorOf(env: Record<string, string>): EtlError {
  try {
    loadEtlConfig(env);
  } catch (error) {
    return error as EtlError;
  }
  throw new Error('expected the configuration to be refused');
}

describe('loadEtlConfig', () => {
  it('fills defaults for a local setup', () => {
    const config = loadEtlConfig(local);
    expect(config.hubs).toEqual({ records: 'records', aggregates: 'aggregates', transformConsumerGroup: 'transform', aggregateConsumerGroup: 'aggregate' });
    expect(config.sql).toEqual({ driver: 'sqlite', path: '.local/etl.sqlite' });
    expect(config.chunk).toEqual({ maxRows: 2000, maxBytes: 262144 });
    expect(config.storage).toEqual({ kind: 'connection-string', connectionString: 'UseDevelopmentStorage=true' });
  });

  it('reads identity-based connections and Azure SQL settings', () => {
    const config = loadEtlConfig({
      AzureWebJobsStorage__accountName: 'etlstore',
      AzureWebJobsStorage__credential: 'workloadidentity',
      AzureWebJobsStorage__clientId: 'cid',
      ETL_EVENTHUB__fullyQualifiedNamespace: 'etl.servicebus.windows.net',
      ETL_SQL_DRIVER: 'mssql',
      ETL_SQL_SERVER: 'etl.database.windows.net',
      ETL_SQL_DATABASE: 'etl',
    });
    expect(config.storage).toEqual({ kind: 'identity', endpoint: 'etlstore', credential: 'workloadidentity', clientId: 'cid' });
    expect(config.eventHubs).toMatchObject({ kind: 'identity', endpoint: 'etl.servicebus.windows.net', credential: 'managedidentity' });
    expect(config.sql).toMatchObject({ driver: 'mssql', auth: 'managed-identity', server: 'etl.database.windows.net', database: 'etl', poolMax: 10 });
  });

  it('names the setting that is wrong', () => {
    expect(errorOf({ ...local, ETL_CHUNK_MAX_ROWS: 'many' }).message).toContain('ETL_CHUNK_MAX_ROWS');
    expect(errorOf({ ...local, ETL_SQL_DRIVER: 'oracle' }).message).toContain('ETL_SQL_DRIVER');
    expect(errorOf({ ...local, ETL_LANDING_CONTAINER: 'Bad_Name' }).message).toContain('ETL_LANDING_CONTAINER');
    expect(errorOf({ ETL_EVENTHUB: local.ETL_EVENTHUB }).message).toContain('AzureWebJobsStorage');
    expect(errorOf({ ...local, ETL_SQL_DRIVER: 'mssql', ETL_SQL_AUTH: 'connection-string' }).message).toContain('ETL_SQL_CONNECTION_STRING');
    expect(errorOf({ ...local, ETL_CHUNK_MAX_BYTES: '2000000' }).code).toBe('INVALID_CONFIG');
  });
});
