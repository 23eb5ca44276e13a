/** The one retry policy: which errors are retried, the attempts, and one time budget per invocation. */
import { describe, expect, it } from 'vitest';
import { EtlError, isEtlError } from '../errors/etl-error.js';
import { backoffDelay, MAX_RETRY_DELAY_MS, RetriesExhaustedError, RetryBudget, type RetryPolicy } from './retry.js';

/** A clock that moves only when the loop sleeps. */
function virtualTime() {
  let now = 0;
  const sleeps: number[] = [];
  return {
    timing: { now: () => now, sleep: async (ms: number) => void (sleeps.push(ms), (now += ms)), random: () => 0.5 },
    sleeps,
    advance: (ms: number) => void (now += ms),
  };
}

const policy = (overrides: Partial<RetryPolicy> = {}): RetryPolicy => ({
  maxAttempts: 10,
  baseDelayMs: 100,
  budgetMs: 60_000,
  ...overrides,
});
const transient = () => new EtlError('SQL_TRANSIENT', 'database unavailable (error 40613)');

async function failure(promise: Promise<unknown>): Promise<RetriesExhaustedError> {
  const error = await promise.catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(RetriesExhaustedError);
  return error as RetriesExhaustedError;
}

describe('RetryBudget', () => {
  it('retries transient errors with doubling delays until the operation succeeds', async () => {
    const { timing, sleeps } = virtualTime();
    let calls = 0;
    const result = await new RetryBudget(policy(), timing).run(async () => {
      calls += 1;
      if (calls < 4) throw transient();
      return 'loaded';
    });
    expect(result).toBe('loaded');
    expect(sleeps).toEqual([100, 200, 400]);
  });

  it('does not retry an error that is not transient: a permanent SQL error, a bug, a user error', async () => {
    for (const error of [
      new EtlError('SQL_FAILED', 'constraint violated'),
      new TypeError('x is undefined'),
      new EtlError('MALFORMED_EVENT', 'not a chunk'),
    ]) {
      let calls = 0;
      const failed = await failure(
        new RetryBudget(policy(), virtualTime().timing).run(async () => {
          calls += 1;
          throw error;
        }),
      );
      expect(calls).toBe(1);
      expect(failed).toMatchObject({ attempts: 1, lastError: error });
    }
  });

  it('stops at maxAttempts', async () => {
    let calls = 0;
    const failed = await failure(
      new RetryBudget(policy({ maxAttempts: 3 }), virtualTime().timing).run(async () => {
        calls += 1;
        throw transient();
      }),
    );
    expect(calls).toBe(3);
    expect(failed.attempts).toBe(3);
  });

  it('starts no retry that would end after the budget, and then refuses the rest of the invocation without an attempt', async () => {
    const { timing, sleeps } = virtualTime();
    const budget = new RetryBudget(policy({ budgetMs: 1_000 }), timing);
    let calls = 0;
    const down = async () => {
      calls += 1;
      throw transient();
    };
    const first = await failure(budget.run(down));
    expect(sleeps).toEqual([100, 200, 400]); // the next delay, 800 ms, would end at 1,500 ms
    expect(first.attempts).toBe(4);
    const second = await failure(budget.run(down));
    expect(calls).toBe(4);
    expect(second.attempts).toBe(0);
    expect(isEtlError(second.lastError, 'SQL_TRANSIENT')).toBe(true);
    expect((second.lastError as Error).message).toMatch(
      /^not attempted: this invocation's retry budget \(1000 ms\) was spent on: database unavailable/,
    );
    await expect(budget.once(async () => 'published')).rejects.toThrow(/not attempted/);
  });

  it('counts time spent in attempts against the budget, not only the waits', async () => {
    const { timing, sleeps, advance } = virtualTime();
    const budget = new RetryBudget(policy({ budgetMs: 10_000 }), timing);
    let calls = 0;
    await failure(
      budget.run(async () => {
        calls += 1;
        advance(4_000); // e.g. a connection timeout
        throw transient();
      }),
    );
    expect(calls).toBe(3);
    expect(sleeps).toEqual([100, 200]);
  });

  it('lets the outermost loop do the retrying: an inner run makes one attempt and its error passes through', async () => {
    const { timing, sleeps } = virtualTime();
    const outer = new RetryBudget(policy({ maxAttempts: 3 }), timing);
    let innerCalls = 0;
    const inner = () =>
      new RetryBudget(policy({ maxAttempts: 10 }), timing).run(async () => {
        innerCalls += 1;
        throw transient();
      });
    const failed = await failure(outer.run(inner));
    expect(innerCalls).toBe(3);
    expect(failed.attempts).toBe(3);
    expect(sleeps).toEqual([100, 200]);
    // Outside any loop, the same inner run retries by itself.
    innerCalls = 0;
    await failure(inner());
    expect(innerCalls).toBe(10);
  });

  it('once: one attempt in the budget scope, so an inner loop does not retry either', async () => {
    const budget = new RetryBudget(policy(), virtualTime().timing);
    let innerCalls = 0;
    const error = await budget
      .once(() =>
        new RetryBudget(policy(), virtualTime().timing).run(async () => {
          innerCalls += 1;
          throw transient();
        }),
      )
      .catch((caught: unknown) => caught);
    expect(innerCalls).toBe(1);
    expect(isEtlError(error, 'SQL_TRANSIENT')).toBe(true);
  });

  it('spreads delays ±25 % around a doubling base, capped', () => {
    expect(backoffDelay(200, 1, () => 0)).toBe(150);
    expect(backoffDelay(200, 1, () => 1)).toBe(250);
    expect(backoffDelay(200, 3, () => 0.5)).toBe(800);
    expect(backoffDelay(200, 20, () => 0.5)).toBe(MAX_RETRY_DELAY_MS);
  });
});
