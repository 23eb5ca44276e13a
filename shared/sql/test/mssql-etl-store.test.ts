/**
 * The SQL contract suite on Azure SQL. Runs only when AZURE_SQL_CONNECTION_STRING names a database
 * this test may create tables in (each test uses fresh, uniquely named dataset tables); otherwise it
 * is skipped and says why. No SQL Server can run on the machine that wrote this adapter.
 */
import { describeEtlStoreContract } from './etl-store.contract.js';

const connectionString = process.env.AZURE_SQL_CONNECTION_STRING;
if (!connectionString) console.warn('Azure SQL contract suite skipped: AZURE_SQL_CONNECTION_STRING is not set');

describeEtlStoreContract({
  name: 'Azure SQL (mssql)',
  skipReason: connectionString ? undefined : 'AZURE_SQL_CONNECTION_STRING is not set',
  async config() {
    return { driver: 'mssql', server: '', database: '', auth: 'connection-string', connectionString, poolMax: 4 };
  },
});
