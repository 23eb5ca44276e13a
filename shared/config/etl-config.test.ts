import { describe, expect, it } from 'vitest';
import { loadEtlConfig } from './etl-config.js';
import { EtlError } from '../errors/etl-error.js';

const local = {
  AzureWebJobsStorage: 'UseDevelopmentStorage=true',
  ETL_EVENTHUB: 'Endpoint=sb://localhost;SharedAccessKeyName=k;SharedAccessKey=v;UseDevelopmentEmulator=true;',
};

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
    expect(config.hubs).toEqual({
      records: 'records',
      aggregates: 'aggregates',
      transformConsumerGroup: 'transform',
      aggregateConsumerGroup: 'aggregate',
    });
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
    expect(config.sql).toMatchObject({
      driver: 'mssql',
      auth: 'managed-identity',
      server: 'etl.database.windows.net',
      database: 'etl',
      poolMax: 10,
    });
  });

  it('ignores a storage connection string without a key when the identity-based account name is set', () => {
    // What azurerm writes into a Flex Consumption app on every apply (infra/README.md, "Provider pitfalls").
    const keyless = 'DefaultEndpointsProtocol=https;AccountName=etlstore;AccountKey=;EndpointSuffix=core.windows.net';
    const identity = {
      AzureWebJobsStorage__accountName: 'etlstore',
      AzureWebJobsStorage__clientId: 'cid',
      ETL_EVENTHUB: local.ETL_EVENTHUB,
    };
    const expected = { kind: 'identity', endpoint: 'etlstore', credential: 'managedidentity', clientId: 'cid' };
    expect(loadEtlConfig({ ...identity, AzureWebJobsStorage: keyless }).storage).toEqual(expected);
    expect(
      loadEtlConfig({
        ...identity,
        AzureWebJobsStorage: 'DefaultEndpointsProtocol=https;AccountName=etlstore;EndpointSuffix=core.windows.net',
      }).storage,
    ).toEqual(expected);
    // A string that carries a credential still wins, as it does for the Functions host.
    const withKey = 'DefaultEndpointsProtocol=https;AccountName=etlstore;AccountKey=a2V5;EndpointSuffix=core.windows.net';
    expect(loadEtlConfig({ ...identity, AzureWebJobsStorage: withKey }).storage).toEqual({
      kind: 'connection-string',
      connectionString: withKey,
    });
    const withSas = 'BlobEndpoint=https://etlstore.blob.core.windows.net;SharedAccessSignature=sv=2024&sig=x';
    expect(loadEtlConfig({ ...identity, AzureWebJobsStorage: withSas }).storage).toMatchObject({ kind: 'connection-string' });
    // Without the account name, a key-less string cannot work: refused, naming both settings.
    const refused = errorOf({ ETL_EVENTHUB: local.ETL_EVENTHUB, AzureWebJobsStorage: keyless });
    expect(refused.code).toBe('INVALID_CONFIG');
    expect(refused.message).toContain('AzureWebJobsStorage__accountName');
  });

  it('names the setting that is wrong', () => {
    expect(errorOf({ ...local, ETL_CHUNK_MAX_ROWS: 'many' }).message).toContain('ETL_CHUNK_MAX_ROWS');
    expect(errorOf({ ...local, ETL_SQL_DRIVER: 'oracle' }).message).toContain('ETL_SQL_DRIVER');
    expect(errorOf({ ...local, ETL_LANDING_CONTAINER: 'Bad_Name' }).message).toContain('ETL_LANDING_CONTAINER');
    expect(errorOf({ ETL_EVENTHUB: local.ETL_EVENTHUB }).message).toContain('AzureWebJobsStorage');
    expect(errorOf({ ...local, ETL_SQL_DRIVER: 'mssql', ETL_SQL_AUTH: 'connection-string' }).message).toContain(
      'ETL_SQL_CONNECTION_STRING',
    );
    expect(errorOf({ ...local, ETL_CHUNK_MAX_BYTES: '2000000' }).code).toBe('INVALID_CONFIG');
  });
});
