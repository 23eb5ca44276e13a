/** The transient-fault policy against real `mssql` error objects, with an injected clock and sleep. */
import sql from 'mssql';
import { describe, expect, it } from 'vitest';
import { isEtlError } from '../../errors/etl-error.js';
import { classifySqlError, isTransientSqlError, withTransientRetry } from '../mssql/mssql-transient-policy.js';
import { RetriesExhaustedError, RetryBudget } from '../../runtime/retry.js';

function requestError(number: number, message = `server error ${number}`): sql.RequestError {
  // The shape mssql builds from a server error token: the number is copied from the driver error's info.
  return new sql.RequestError(Object.assign(new Error(message), { info: { number }, code: 'EREQUEST' }) as unknown as string, 'EREQUEST');
}

/** A policy whose clock only moves when it sleeps, so budgets are exact. */
function fakeTiming(): { timing: { now: () => number; sleep: (ms: number) => Promise<void>; random: () => number }; sleeps: number[] } {
  let now = 0;
  const sleeps: number[] = [];
  return {
    timing: {
      now: () => now,
      sleep: async (ms) => {
        sleeps.push(ms);
        now += ms;
      },
      random: () => 0.5,
    },
    sleeps,
  };
}

const policy = (budgetMs = 10_000, maxAttempts = 100) => ({ maxAttempts, baseDelayMs: 100, budgetMs });

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
    const login = new sql.ConnectionError(
      Object.assign(new Error('Cannot open database'), { code: 'ELOGIN', number: 4060 }) as unknown as string,
    );
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

  it('classifies driver errors for the retry policy: transient, failed for good, or not ours to judge', () => {
    const transient = classifySqlError('loadChunks', requestError(40613));
    expect(isEtlError(transient, 'SQL_TRANSIENT')).toBe(true);
    expect((transient as Error).message).toContain('Azure SQL loadChunks failed');
    expect(isEtlError(classifySqlError('beginFile', requestError(2627)), 'SQL_FAILED')).toBe(true);
    const own = new Error('outbox builder failed');
    expect(classifySqlError('loadChunks', own)).toBe(own);
  });

  it('retries transient failures with growing delays and returns the eventual result', async () => {
    const { timing, sleeps } = fakeTiming();
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
      policy(),
      timing,
    );
    expect(result).toBe('done');
    expect(attempts).toBe(4);
    expect(sleeps).toEqual([100, 200, 400]);
  });

  it('gives up with SQL_FAILED within its budget, keeping the driver error as cause', async () => {
    const { timing, sleeps } = fakeTiming();
    let attempts = 0;
    const last = requestError(40501, 'The service is currently busy');
    const failure = await withTransientRetry(
      'loadChunk',
      async () => {
        attempts += 1;
        throw last;
      },
      policy(5_000),
      timing,
    ).catch((error: unknown) => error);
    expect(isEtlError(failure, 'SQL_FAILED')).toBe(true);
    expect((failure as Error).message).toMatch(/service is currently busy .*gave up after \d+ attempts/);
    expect((failure as Error).cause).toBe(last);
    expect(sleeps.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(5_000);
    expect(attempts).toBe(sleeps.length + 1);
    expect(attempts).toBeGreaterThan(3);
  });

  it('fails permanent driver errors at once and passes other errors through unchanged', async () => {
    const { timing, sleeps } = fakeTiming();
    const permanent = await withTransientRetry(
      'beginFile',
      async () => {
        throw requestError(2627, 'Violation of PRIMARY KEY constraint');
      },
      policy(),
      timing,
    ).catch((error: unknown) => error);
    expect(isEtlError(permanent, 'SQL_FAILED')).toBe(true);
    expect(sleeps).toEqual([]);
    const own = new Error('outbox builder failed');
    await expect(
      withTransientRetry(
        'loadChunk',
        async () => {
          throw own;
        },
        policy(),
        timing,
      ),
    ).rejects.toBe(own);
  });

  // Issue 12, finding 4: the handler's attempts used to wrap the driver's 60-second retry, so one
  // chunk could be held for minutes. Inside a handler's retry loop the driver now tries once.
  it("makes one attempt inside a handler's retry loop, whose one budget bounds every attempt", async () => {
    const { timing, sleeps } = fakeTiming();
    let driverAttempts = 0;
    const handler = new RetryBudget(policy(3_000, 4), timing);
    const failure = await handler
      .run(() =>
        withTransientRetry(
          'loadChunks',
          async () => {
            driverAttempts += 1;
            throw requestError(40613);
          },
          policy(60_000),
          timing,
        ),
      )
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RetriesExhaustedError);
    expect((failure as RetriesExhaustedError).attempts).toBe(4);
    expect(isEtlError((failure as RetriesExhaustedError).lastError, 'SQL_TRANSIENT')).toBe(true);
    expect(driverAttempts).toBe(4);
    expect(sleeps).toEqual([100, 200, 400]);
  });
});
