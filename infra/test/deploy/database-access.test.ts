/**
 * The deploy's database step with a scripted `az` and a stand-in database session: the firewall
 * rule is opened for the address the server refused and closed afterwards, also when a step in
 * between fails; the T-SQL that creates the function identity's user is pinned here.
 */
import { describe, expect, it } from 'vitest';
import {
  firewallRefusal,
  grantDatabaseAccess,
  USER_GRANTS_TSQL,
  type DatabaseSession,
  type DatabaseTarget,
} from '../../deploy/database-access.js';
import { ScriptedRunner } from './scripted-runner.js';

const target: DatabaseTarget = {
  resourceGroup: 'rg-etl-dev-fx',
  serverName: 'sql-etl-dev-fx-x1',
  serverHostName: 'sql-etl-dev-fx-x1.database.windows.net',
  databaseName: 'etl',
  identityName: 'id-etl-dev-fx-functions',
  identityClientId: '1B4F0C5E-7A2D-4C1E-9F3A-2D6B8E0A1C44',
};

/** What mssql throws for a client the server's firewall does not admit. */
function refused(address?: string): Error {
  const message = address
    ? `Cannot open server 'sql-etl-dev-fx-x1' requested by the login. Client with IP address '${address}' is not allowed to access the server.`
    : 'Cannot open server requested by the login. The client is not allowed to access the server.';
  return Object.assign(new Error(message), { code: 'ELOGIN', originalError: Object.assign(new Error(message), { number: 40615 }) });
}

interface Recorded {
  events: string[];
  session: DatabaseSession;
}

function recordingSession(failMigration = false): Recorded {
  const events: string[] = [];
  return {
    events,
    session: {
      migrate: async () => {
        events.push('migrate');
        if (failMigration) throw new Error('migration 3 failed');
      },
      run: async (statement, values) => {
        events.push(`run ${JSON.stringify(values)}`);
        expect(statement).toBe(USER_GRANTS_TSQL);
      },
      close: async () => {
        events.push('close');
      },
    },
  };
}

const firewallRunner = () =>
  new ScriptedRunner([
    { match: /^az sql server firewall-rule create/, answer: {} },
    { match: /^az sql server firewall-rule delete/, answer: {} },
  ]);

const fixedNow = () => new Date('2026-12-07T03:04:05Z');

describe('the database step', () => {
  it('opens a rule for the refused address, migrates, creates the user, closes the rule', async () => {
    const runner = firewallRunner();
    const { events, session } = recordingSession();
    let attempts = 0;
    await grantDatabaseAccess(target, {
      runner,
      open: async () => {
        attempts += 1;
        events.push(`open ${attempts}`);
        if (attempts < 3) throw refused('203.0.113.7'); // refused before the rule, and once while it propagates
        return session;
      },
      publicAddress: () => Promise.reject(new Error('not needed: the refusal names the address')),
      log: () => {},
      now: fixedNow,
      sleep: async () => {},
    });
    expect(runner.calls).toEqual([
      'az sql server firewall-rule create --resource-group rg-etl-dev-fx --server sql-etl-dev-fx-x1 --name etl-deploy-20261207030405 --start-ip-address 203.0.113.7 --end-ip-address 203.0.113.7 --output none',
      'az sql server firewall-rule delete --resource-group rg-etl-dev-fx --server sql-etl-dev-fx-x1 --name etl-deploy-20261207030405 --output none',
    ]);
    expect(events).toEqual([
      'open 1',
      'open 2',
      'open 3',
      'migrate',
      `run ${JSON.stringify({ userName: 'id-etl-dev-fx-functions', clientId: '1b4f0c5e-7a2d-4c1e-9f3a-2d6b8e0a1c44' })}`,
      'close',
    ]);
  });

  it('closes the rule when a migration fails, and reports the failure', async () => {
    const runner = firewallRunner();
    const { events, session } = recordingSession(true);
    let first = true;
    const open = async () => {
      if (first) {
        first = false;
        throw refused();
      }
      return session;
    };
    await expect(
      grantDatabaseAccess(target, {
        runner,
        open,
        publicAddress: async () => '198.51.100.4',
        log: () => {},
        now: fixedNow,
        sleep: async () => {},
      }),
    ).rejects.toThrow('migration 3 failed');
    expect(runner.calls.map((line) => line.split(' ').slice(0, 5).join(' '))).toEqual([
      'az sql server firewall-rule create',
      'az sql server firewall-rule delete',
    ]);
    // The address came from the lookup, since the refusal did not name it.
    expect(runner.calls[0]).toContain('--start-ip-address 198.51.100.4');
    expect(events).toEqual(['migrate', 'close']);
  });

  it('opens no rule when the server already admits this machine, and stops on other connection errors', async () => {
    const runner = firewallRunner();
    const { events, session } = recordingSession();
    await grantDatabaseAccess(target, { runner, open: async () => session, publicAddress: async () => '0.0.0.0', log: () => {} });
    expect(runner.calls).toEqual([]);
    expect(events[0]).toBe('migrate');

    const login = Object.assign(new Error("Login failed for user '<token-identified principal>'."), { number: 18456 });
    await expect(
      grantDatabaseAccess(target, { runner, open: async () => Promise.reject(login), publicAddress: async () => '0.0.0.0', log: () => {} }),
    ).rejects.toThrow('Login failed');
    expect(runner.calls).toEqual([]);
  });

  it('refuses a client id that is not a GUID before it connects', async () => {
    const runner = firewallRunner();
    await expect(
      grantDatabaseAccess(
        { ...target, identityClientId: "x'; DROP USER dbo; --" },
        { runner, open: () => Promise.reject(new Error('must not connect')), publicAddress: async () => '', log: () => {} },
      ),
    ).rejects.toThrow('not a GUID');
  });

  it('recognizes the firewall refusal mssql reports, with or without the address', () => {
    expect(firewallRefusal(refused('2001:db8::1'))).toEqual({ address: '2001:db8::1' });
    expect(firewallRefusal(refused())).toEqual({ address: undefined });
    expect(firewallRefusal(new Error('connection timeout'))).toBeUndefined();
  });

  it('creates the user from its client id (no directory lookup), replaces one with another SID, and grants read, write and EXECUTE only', () => {
    expect(USER_GRANTS_TSQL.parameters).toEqual({
      userName: { kind: 'nvarchar', length: 128 },
      clientId: { kind: 'nvarchar', length: 36 },
    });
    expect(USER_GRANTS_TSQL.text).toBe(`SET XACT_ABORT ON;
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
COMMIT TRANSACTION;`);
    expect(USER_GRANTS_TSQL.text).not.toMatch(/db_owner|db_ddladmin|CONTROL/);
  });
});
