import { describe, expect, it } from 'vitest';
import { decideRestart, type RestartPolicy } from '../restart-policy.js';

const policy: RestartPolicy = { firstDelayMs: 1000, maxDelayMs: 8000, maxDeaths: 3, windowMs: 60_000 };

describe('restart policy', () => {
  it('doubles the wait with every recent death, up to the longest wait', () => {
    expect(decideRestart([0], 0, policy)).toEqual({ restart: true, delayMs: 1000, recentDeaths: 1 });
    expect(decideRestart([0, 2000], 2000, policy)).toEqual({ restart: true, delayMs: 2000, recentDeaths: 2 });
    expect(decideRestart([0, 2000, 5000], 5000, policy)).toEqual({ restart: true, delayMs: 4000, recentDeaths: 3 });
    expect(decideRestart([0, 2000, 5000], 5000, { ...policy, maxDeaths: 9, maxDelayMs: 3000 })).toMatchObject({ delayMs: 3000 });
  });

  it('gives up after more deaths within the window than it allows', () => {
    expect(decideRestart([0, 2000, 5000, 9000], 9000, policy)).toEqual({ restart: false, recentDeaths: 4 });
  });

  it('forgets deaths older than the window, and starts the backoff over', () => {
    expect(decideRestart([0, 2000, 5000, 70_000], 70_000, policy)).toEqual({ restart: true, delayMs: 1000, recentDeaths: 1 });
  });
});
