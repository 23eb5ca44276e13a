/** The `mssql` pool configuration for each way of authenticating, built without connecting. */
import sql from 'mssql';
import { describe, expect, it } from 'vitest';
import { isEtlError } from '../../errors/etl-error.js';
import { mssqlPoolConfig } from '../mssql/mssql-pool-config.js';
import { factsTable } from '../mssql/mssql-session.js';
import { datasetTables } from '../dataset-tables.js';
import { contractDataset, eventFact } from './contract-fixtures.js';

const base = { driver: 'mssql', server: 'etl-sql.database.windows.net', database: 'etl', poolMax: 7 } as const;

describe('mssqlPoolConfig', () => {
  it('uses the driver Entra default mode with the user-assigned identity and the configured pool size', () => {
    const config = mssqlPoolConfig({ ...base, auth: 'managed-identity', clientId: '00000000-0000-0000-0000-000000000001' });
    expect(config).toMatchObject({
      server: base.server,
      database: 'etl',
      options: { encrypt: true, trustServerCertificate: false },
      authentication: { type: 'azure-active-directory-default', options: { clientId: '00000000-0000-0000-0000-000000000001' } },
      pool: { max: 7, min: 0 },
    });
    expect(JSON.stringify(config)).not.toMatch(/password|secret/i);
  });

  it('can use the App Service managed-identity mode, with or without a client id', () => {
    expect(mssqlPoolConfig({ ...base, auth: 'managed-identity' }, { identityMode: 'msi-app-service' }).authentication).toEqual({
      type: 'azure-active-directory-msi-app-service',
      options: {},
    });
  });

  it('signs in with a given token credential (the deploy tooling passes the Azure CLI one)', () => {
    const credential = { getToken: async () => ({ token: 't', expiresOnTimestamp: Date.now() + 60_000 }) };
    expect(mssqlPoolConfig({ ...base, auth: 'managed-identity' }, { credential }).authentication).toEqual({
      type: 'token-credential',
      options: { credential },
    });
  });

  it('parses a connection string with mssql and still sizes the pool from config', () => {
    const config = mssqlPoolConfig(
      {
        ...base,
        server: '',
        database: '',
        auth: 'connection-string',
        connectionString: 'Server=tcp:127.0.0.1,14330;Database=etl_test;User Id=sa;Password=x;Encrypt=true;TrustServerCertificate=true',
      },
      { parseConnectionString: (text) => sql.ConnectionPool.parseConnectionString(text) },
    );
    expect(config).toMatchObject({ server: '127.0.0.1', port: 14330, database: 'etl_test', pool: { max: 7 } });
  });

  it('maps an Entra connection string to the driver default Entra mode', () => {
    const config = mssqlPoolConfig(
      {
        ...base,
        auth: 'connection-string',
        connectionString: 'Server=tcp:etl.database.windows.net,1433;Database=etl;Authentication=Active Directory Integrated;Encrypt=true',
      },
      { parseConnectionString: (text) => sql.ConnectionPool.parseConnectionString(text) },
    );
    expect(config).toMatchObject({
      server: 'etl.database.windows.net',
      database: 'etl',
      authentication_type: 'azure-active-directory-default',
    });
  });

  it('rejects incomplete settings with INVALID_CONFIG', () => {
    const missing = [
      () => mssqlPoolConfig({ ...base, auth: 'connection-string' }, { parseConnectionString: sql.ConnectionPool.parseConnectionString }),
      () => mssqlPoolConfig({ ...base, server: '', auth: 'managed-identity' }),
    ];
    for (const attempt of missing) {
      let error: unknown;
      try {
        attempt();
      } catch (caught) {
        error = caught;
      }
      expect(isEtlError(error, 'INVALID_CONFIG')).toBe(true);
    }
  });
});

describe('facts as a table-valued parameter', () => {
  it('carries the facts in the row type column order with driver types and values', () => {
    const dataset = contractDataset('tvp_events');
    const tables = datasetTables(dataset);
    const table = factsTable(tables, [
      eventFact(dataset, { id: 2, note: `'; DROP TABLE x; --` }, 'f1', 1),
      eventFact(dataset, { id: 3, value: null }, 'f1', 2),
    ]);
    expect(table.name).toBe('tvp_events_facts_rows');
    expect(table.columns.map((column) => column.name)).toEqual(tables.factColumns.map((column) => column.name));
    const [first, second] = table.rows as unknown[][];
    const at = (name: string) => tables.factColumns.findIndex((column) => column.name === name);
    expect(first?.[at('timestamp')]).toEqual(new Date('2026-11-20T10:00:00.000Z'));
    expect(first?.[at('event_date')]).toEqual(new Date('2026-11-20T00:00:00.000Z'));
    expect(first?.[at('ok')]).toBe(true);
    expect(first?.[at('note')]).toBe(`'; DROP TABLE x; --`);
    expect(second?.[at('value')]).toBeNull();
    expect(second?.[at('ok')]).toBe(false);
  });
});
