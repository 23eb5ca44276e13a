/** The one "group, then each, then park" rule that transform and aggregate share. */
import { describe, expect, it } from 'vitest';
import { EtlError } from '../errors/etl-error.js';
import { RetriesExhaustedError, RetryBudget } from '../runtime/retry.js';
import { silentLogger } from '../runtime/logger.js';
import { writeGroupsOrEach, type GroupSteps } from './group-or-each.js';

/** Items are numbers; `refuse(items)` returns the error a write of them fails with, if any. */
function recorder(refuse: (items: readonly number[], call: number) => Error | undefined) {
  const writes: number[][] = [];
  const written: number[][] = [];
  const parked: { item: number; attempts: number; error: string }[] = [];
  const steps: GroupSteps<number, string> = {
    write: async (items) => {
      writes.push([...items]);
      const error = refuse(items, writes.length);
      if (error) throw error;
      return items.join('+');
    },
    written: (items) => void written.push([...items]),
    park: async (item, failure: RetriesExhaustedError) =>
      void parked.push({ item, attempts: failure.attempts, error: (failure.lastError as Error).message }),
    describe: (items) => `${items.length} items`,
  };
  return { steps, writes, written, parked };
}

const run = (retries = { count: 0 }) => ({
  stage: 'test',
  budget: new RetryBudget({ maxAttempts: 3, baseDelayMs: 1, budgetMs: 60_000 }, { sleep: async () => {} }),
  log: silentLogger,
  onRetry: () => void (retries.count += 1),
});

describe('writeGroupsOrEach', () => {
  it('writes each group together when it can', async () => {
    const { steps, writes, written, parked } = recorder(() => undefined);
    await writeGroupsOrEach([[1, 2], [3]], steps, run());
    expect(writes).toEqual([[1, 2], [3]]);
    expect(written).toEqual([[1, 2], [3]]);
    expect(parked).toEqual([]);
  });

  it('falls back to one by one when a group fails for good, and parks only the item that fails alone', async () => {
    const poison = new EtlError('SQL_FAILED', 'item 2 violates a constraint');
    const { steps, writes, written, parked } = recorder((items) => (items.includes(2) ? poison : undefined));
    const retries = { count: 0 };
    await writeGroupsOrEach([[1, 2, 3], [4]], steps, run(retries));
    expect(writes).toEqual([[1, 2, 3], [1], [2], [3], [4]]);
    expect(written).toEqual([[1], [3], [4]]);
    expect(parked).toEqual([{ item: 2, attempts: 1, error: 'item 2 violates a constraint' }]);
    expect(retries.count).toBe(1); // the fall-back itself
  });

  it('retries a transient failure of the whole group instead of splitting it', async () => {
    const { steps, writes, written } = recorder((_items, call) => (call < 3 ? new EtlError('SQL_TRANSIENT', 'busy') : undefined));
    const retries = { count: 0 };
    await writeGroupsOrEach([[1, 2, 3]], steps, run(retries));
    expect(writes).toEqual([
      [1, 2, 3],
      [1, 2, 3],
      [1, 2, 3],
    ]);
    expect(written).toEqual([[1, 2, 3]]);
    expect(retries.count).toBe(2);
  });

  it('parks with the attempts made when an item keeps failing transiently', async () => {
    const { steps, parked } = recorder(() => new EtlError('SQL_TRANSIENT', 'busy'));
    await writeGroupsOrEach([[7]], steps, run());
    expect(parked).toEqual([{ item: 7, attempts: 3, error: 'busy' }]);
  });
});
