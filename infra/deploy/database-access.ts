/**
 * The deploy command's database step. Azure SQL admits only Azure-hosted clients (its firewall
 * rule `AllowAzureServices`), and Terraform cannot run T-SQL as an Entra principal, so the step
 * runs here, signed in as the deployer with the Azure CLI's token (`AzureCliCredential`, never
 * `DefaultAzureCredential`, which probes for a managed identity first):
 *
 * 1. connect; a refusal for the client's address (error 40615) names that address,
 * 2. open a firewall rule for exactly that address,
 * 3. run the app's own migrations (`MssqlEtlStore.migrate`, the code the app runs),
 * 4. create the function identity's database user and give it its roles (USER_GRANTS_TSQL),
 * 5. close the rule, also when a step before failed.
 */
import type { TsqlStatement } from '../../shared/sql/mssql/tsql-types.js';
import { nvarchar } from '../../shared/sql/mssql/tsql-types.js';
import { runChecked, type CommandRunner } from './command-runner.js';

/** What the step needs from the stack's outputs. */
export interface DatabaseTarget {
  readonly resourceGroup: string;
  /** Server name (not the host name), for `az sql server firewall-rule`. */
  readonly serverName: string;
  readonly serverHostName: string;
  readonly databaseName: string;
  /** The user-assigned identity the app runs as: its name becomes the user's name. */
  readonly identityName: string;
  /** Its client (application) id: the user's SID, so no directory lookup is needed. */
  readonly identityClientId: string;
}

/** A signed-in connection to the database. */
export interface DatabaseSession {
  /** The app's migrations, with the app's datasets. */
  migrate(): Promise<void>;
  run(statement: TsqlStatement, values: Readonly<Record<string, unknown>>): Promise<void>;
  close(): Promise<void>;
}

export type OpenDatabase = (target: DatabaseTarget) => Promise<DatabaseSession>;

/**
 * The function identity's user and roles, idempotent: a user of that name with another SID (the
 * identity was recreated) is replaced. The SID of an Entra application or managed identity is
 * its client id as 16 bytes (`TYPE = E`), which needs no Microsoft Graph lookup by the server.
 * Roles: read and write every table, and EXECUTE on the schema, which covers the table types
 * transform's loads pass as table-valued parameters. No DDL: the app runs with
 * ETL_SQL_MIGRATE_ON_START=false; migrations are this step's job.
 */
export const USER_GRANTS_TSQL: TsqlStatement = {
  text: `SET XACT_ABORT ON;
DECLARE @sid varbinary(16) = CAST(CAST(@clientId AS uniqueidentifier) AS varbinary(16));
DECLARE @user nvarchar(260) = QUOTENAME(@userName);
DECLARE @statement nvarchar(max);
BEGIN TRANSACTION;
IF EXISTS (SELECT 1 FROM sys.database_principals WHERE name = @userName AND sid <> @sid)
BEGIN
  SET @statement = N'DROP USER ' + @user + N';';
  EXEC sys.sp_executesql @statement;
END;
IF DATABASE_PRINCIPAL_ID(@userName) IS NULL
BEGIN
  SET @statement = N'CREATE USER ' + @user + N' WITH SID = ' + CONVERT(nvarchar(34), @sid, 1) + N', TYPE = E;';
  EXEC sys.sp_executesql @statement;
END;
IF IS_ROLEMEMBER(N'db_datareader', @userName) = 0
BEGIN
  SET @statement = N'ALTER ROLE db_datareader ADD MEMBER ' + @user + N';';
  EXEC sys.sp_executesql @statement;
END;
IF IS_ROLEMEMBER(N'db_datawriter', @userName) = 0
BEGIN
  SET @statement = N'ALTER ROLE db_datawriter ADD MEMBER ' + @user + N';';
  EXEC sys.sp_executesql @statement;
END;
SET @statement = N'GRANT EXECUTE ON SCHEMA::dbo TO ' + @user + N';';
EXEC sys.sp_executesql @statement;
COMMIT TRANSACTION;`,
  parameters: { userName: nvarchar(128), clientId: nvarchar(36) },
};

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The identity name as Azure allows it (letters, digits, hyphens, underscores). */
const IDENTITY_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{2,127}$/;

/** SQL error 40615: "Cannot open server … Client with IP address 'a.b.c.d' is not allowed to access the server." */
export function firewallRefusal(error: unknown): { address?: string } | undefined {
  const numbers = collectErrorNumbers(error);
  const text = collectMessages(error);
  if (!numbers.includes(40615) && !/not allowed to access the server/i.test(text)) return undefined;
  const address = /IP address '([0-9a-fA-F.:]+)'/.exec(text)?.[1];
  return { address };
}

function collectErrorNumbers(error: unknown): number[] {
  const found: number[] = [];
  for (let current: unknown = error, depth = 0; current && typeof current === 'object' && depth < 5; depth += 1) {
    const record = current as { number?: unknown; originalError?: unknown; cause?: unknown; info?: { number?: unknown } };
    for (const value of [record.number, record.info?.number]) if (typeof value === 'number') found.push(value);
    current = record.originalError ?? record.cause;
  }
  return found;
}

function collectMessages(error: unknown): string {
  const parts: string[] = [];
  for (let current: unknown = error, depth = 0; current && typeof current === 'object' && depth < 5; depth += 1) {
    const record = current as { message?: unknown; originalError?: unknown; cause?: unknown };
    if (typeof record.message === 'string') parts.push(record.message);
    current = record.originalError ?? record.cause;
  }
  return parts.join('\n');
}

export interface DatabaseStepOptions {
  readonly runner: CommandRunner;
  readonly open: OpenDatabase;
  /** The deployer's public address, when the server's refusal did not name it (an https lookup). */
  readonly publicAddress: () => Promise<string>;
  readonly log: (line: string) => void;
  readonly now?: () => Date;
  readonly sleep?: (ms: number) => Promise<void>;
  /** How long to wait for a new firewall rule to admit the connection (default 5 min). */
  readonly ruleWaitMs?: number;
}

/** Runs the step; returns the T-SQL it ran (for the record). */
export async function grantDatabaseAccess(target: DatabaseTarget, options: DatabaseStepOptions): Promise<void> {
  if (!GUID.test(target.identityClientId)) throw new Error(`the function identity's client id '${target.identityClientId}' is not a GUID`);
  if (!IDENTITY_NAME.test(target.identityName))
    throw new Error(`the function identity's name '${target.identityName}' is not an identity name`);
  const log = options.log;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));

  let session: DatabaseSession | undefined;
  let address: string | undefined;
  try {
    session = await options.open(target);
  } catch (error) {
    const refusal = firewallRefusal(error);
    if (!refusal) throw error;
    address = refusal.address ?? (await options.publicAddress());
  }

  const rule = address === undefined ? undefined : firewallRuleName(options.now?.() ?? new Date());
  if (rule !== undefined && address !== undefined) {
    log(`  the server refused ${address}: opening firewall rule ${rule} for it while this step runs`);
    await runChecked(options.runner, firewallRuleCommand('create', target, rule, address));
  }
  try {
    if (session === undefined) session = await openWhenAdmitted(target, options, sleep);
    log(`  running the app's migrations on ${target.serverHostName}/${target.databaseName}`);
    await session.migrate();
    log(`  creating database user [${target.identityName}] (db_datareader, db_datawriter, EXECUTE on dbo)`);
    await session.run(USER_GRANTS_TSQL, { userName: target.identityName, clientId: target.identityClientId.toLowerCase() });
  } finally {
    await session?.close().catch(() => undefined);
    if (rule !== undefined) {
      log(`  closing firewall rule ${rule}`);
      await runChecked(options.runner, firewallRuleCommand('delete', target, rule));
    }
  }
}

/** A new rule can take a few minutes to reach the gateway: retry while the server still refuses the address. */
async function openWhenAdmitted(
  target: DatabaseTarget,
  options: DatabaseStepOptions,
  sleep: (ms: number) => Promise<void>,
): Promise<DatabaseSession> {
  const deadline = Date.now() + (options.ruleWaitMs ?? 5 * 60_000);
  for (;;) {
    try {
      return await options.open(target);
    } catch (error) {
      if (!firewallRefusal(error) || Date.now() >= deadline) throw error;
      options.log('  the firewall rule is not in effect yet; trying again in 15 s');
      await sleep(15_000);
    }
  }
}

export function firewallRuleName(at: Date): string {
  return `etl-deploy-${at.toISOString().replace(/[-:T]/g, '').slice(0, 14)}`;
}

export function firewallRuleCommand(action: 'create' | 'delete', target: DatabaseTarget, rule: string, address?: string) {
  const where = ['--resource-group', target.resourceGroup, '--server', target.serverName, '--name', rule];
  const range =
    action === 'create'
      ? ['--start-ip-address', address ?? '<your public address>', '--end-ip-address', address ?? '<your public address>']
      : [];
  return { program: 'az', args: ['sql', 'server', 'firewall-rule', action, ...where, ...range, '--output', 'none'] };
}

/**
 * The real connection: `mssql` with the Azure CLI's token, the app's own store (its migrations)
 * and one session for the user statement. Loaded lazily: dry runs and tests never load mssql.
 */
export async function openWithAzureCli(target: DatabaseTarget): Promise<DatabaseSession> {
  const { AzureCliCredential } = await import('@azure/identity');
  const sql = (await import('mssql')).default;
  const { MssqlEtlStore } = await import('../../shared/sql/mssql/mssql-etl-store.js');
  const { MssqlSession } = await import('../../shared/sql/mssql/mssql-session.js');
  const { mssqlPoolConfig } = await import('../../shared/sql/mssql/mssql-pool-config.js');
  const { loadDatasets } = await import('../../shared/datasets/dataset-registry.js');
  const credential = new AzureCliCredential();
  const config = {
    driver: 'mssql',
    auth: 'managed-identity',
    server: target.serverHostName,
    database: target.databaseName,
    poolMax: 2,
  } as const;
  const store = await MssqlEtlStore.open(config, { credential });
  try {
    const pool = await new sql.ConnectionPool(mssqlPoolConfig(config, { credential })).connect();
    const session = new MssqlSession(pool);
    return {
      migrate: async () => store.migrate([...(await loadDatasets()).values()]),
      run: async (statement, values) => {
        await session.query('database user', statement, values);
      },
      close: async () => {
        await session.close();
        await store.close();
      },
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}

/** The deployer's public address from an https lookup: only when the server's refusal did not name it. */
export async function publicAddressFromLookup(): Promise<string> {
  const response = await fetch('https://api.ipify.org', { signal: AbortSignal.timeout(15_000) });
  const text = (await response.text()).trim();
  if (!response.ok || !/^[0-9a-fA-F.:]+$/.test(text))
    throw new Error(`could not find this machine's public address (https://api.ipify.org answered ${response.status})`);
  return text;
}
