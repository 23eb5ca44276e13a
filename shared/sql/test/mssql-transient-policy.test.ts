/** The transient-fault policy against real `mssql` error objects, with an injected clock and sleep. */
import sql from 'mssql';
import { describe, expect, it } from 'vitest';
import { isEtlError } from '../../errors/etl-error.js';
import { isTransientSqlError, withTransientRetry, type RetryPolicy } from '../mssql/mssql-transient-policy.js';

function requestError(number: number, message = `server error ${number}`): sql.RequestError {
  // The shape mssql builds from a server error token: the number is copied from the driver error's info.
  return new sql.RequestError(Object.assign(new Error(message), { info: { number }, code: 'EREQUEST' }) as unknown as string, 'EREQUEST');
}

function fakePolicy(maxElapsedMs = 10_000): RetryPolicy & { sleeps: number[] } {
  let now = 0;
  const sleeps: number[] = [];
  return {
    maxElapsedMs,
    baseDelayMs: 100,
    maxDelayMs: 2_000,
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
    random: () => 1,
    sleeps,
  };
}

describe('Azure SQL transient-fault policy', () => {
  it.each([40613, 40501, 40197, 49918, 49919, 49920, 4060, 10928, 10929, 1205])('treats error %i as transient', (number) => {
    const error = requestError(number);
    expect(error.number).toBe(number);
    expect(isTransientSqlError(error)).toBe(true);
  });

  it('treats lost connections and timeouts as transient, wherever the number or code sits', () => {
    expect(isTransientSqlError(new sql.ConnectionError('socket hang up', 'ESOCKET'))).toBe(true);
    expect(isTransientSqlError(new sql.ConnectionError('Connection is closed.', 'ECONNCLOSED'))).toBe(true);
    expect(isTransientSqlError(new sql.RequestError('Timeout: Request failed to complete in 15000ms', 'ETIMEOUT'))).toBe(true);
    // A login that fails because the database is failing over: the number is on the wrapped driver error.
    const login = new sql.ConnectionError(Object.assign(new Error('Cannot open database'), { code: 'ELOGIN', number: 4060 }) as unknown as string);
    expect(isTransientSqlError(login)).toBe(true);
    // The deadlock reported before another error of the same batch.
    const last = requestError(3998, 'Uncommittable transaction');
    Object.assign(last, { precedingErrors: [requestError(1205)] });
    expect(isTransientSqlError(last)).toBe(true);
  });

  it('treats constraint violations, syntax errors and bad logins as permanent', () => {
    for (const number of [2627, 2601, 102, 208, 18456, 8152]) expect(isTransientSqlError(requestError(number))).toBe(false);
    expect(isTransientSqlError(new sql.ConnectionError('Login failed', 'ELOGIN'))).toBe(false);
    expect(isTransientSqlError(new Error('plain'))).toBe(false);
  });

  it('retries transient failures with growing delays and returns the eventual result', async () => {
    const policy = fakePolicy();
    const failures = [requestError(40613), requestError(1205), new sql.ConnectionError('reset', 'ESOCKET')];
    let attempts = 0;
    const result = await withTransientRetry(
      'loadChunk',
      async () => {
        attempts += 1;
        const failure = failures.shift();
        if (failure) throw failure;
        return 'done';
      },
      policy,
    );
    expect(result).toBe('done');
    expect(attempts).toBe(4);
    expect(policy.sleeps).toEqual([100, 200, 400]);
  });

  it('gives up with SQL_FAILED after the bounded time, keeping the last error as cause', async () => {
    const policy = fakePolicy(5_000);
    let attempts = 0;
    const last = requestError(40501, 'The service is currently busy');
    const failure = await withTransientRetry(
      'loadChunk',
      async () => {
        attempts += 1;
        throw last;
      },
      policy,
    ).catch((error: unknown) => error);
    expect(isEtlError(failure, 'SQL_FAILED')).toBe(true);
    expect((failure as Error).message).toMatch(/after \d+ attempts .*service is currently busy/);
    expect((failure as Error).cause).toBe(last);
    const slept = policy.sleeps.reduce((a, b) => a + b, 0);
    expect(slept).toBeLessThan(5_000);
    expect(attempts).toBe(policy.sleeps.length + 1);
    expect(attempts).toBeGreaterThan(3);
  });

  it('fails permanent driver errors at once and passes other errors through unchanged', async () => {
    const policy = fakePolicy();
    const permanent = await withTransientRetry('beginFile', async () => {
      throw requestError(2627, 'Violation of PRIMARY KEY constraint');
    }, policy).catch((error: unknown) => error);
    expect(isEtlError(permanent, 'SQL_FAILED')).toBe(true);
    expect(policy.sleeps).toEqual([]);
    const own = new Error('outbox builder failed');
    await expect(withTransientRetry('loadChunk', async () => {
      throw own;
    }, policy)).rejects.toBe(own);
  });
});
