import { describe, expect, it } from 'vitest';
import { EventQueue } from '../engine/event-queue.js';
import { SharedResource } from '../engine/shared-resource.js';

describe('the event queue', () => {
  it('runs actions in time order, equal times in scheduling order, and never goes back', () => {
    const queue = new EventQueue();
    const seen: string[] = [];
    queue.at(2, () => seen.push('b'));
    queue.at(1, () => {
      seen.push('a');
      queue.after(1, () => seen.push('c')); // also at 2, scheduled later than b
      queue.at(0, () => seen.push(`late at ${queue.now}`));
    });
    queue.runUntil(10);
    expect(seen).toEqual(['a', 'late at 1', 'b', 'c']);
    expect(queue.now).toBe(10);
    expect(() => queue.at(Number.NaN, () => undefined)).toThrow(RangeError);
  });
});

describe('processor sharing', () => {
  const finishTimes = (setup: (queue: EventQueue, done: (name: string) => () => void) => void): Record<string, number> => {
    const queue = new EventQueue();
    const times: Record<string, number> = {};
    setup(queue, (name) => () => {
      times[name] = queue.now;
    });
    queue.runUntil(Infinity);
    return times;
  };

  it('shares capacity equally between groups, each group capped at its own rate', () => {
    // 2 cores, two single-core processes: each runs at 1 core.
    const times = finishTimes((queue, done) => {
      const cores = new SharedResource(queue, 'cores', 2);
      cores.run({ name: 'a', maxRate: 1 }, 3, done('a'));
      cores.run({ name: 'b', maxRate: 1 }, 1, done('b'));
    });
    expect(times).toEqual({ b: 1, a: 3 });
  });

  it('gives what a capped group leaves to the others (water-filling) and re-shares when a job ends', () => {
    const times = finishTimes((queue, done) => {
      const cores = new SharedResource(queue, 'cores', 2);
      const one = { name: 'node', maxRate: 1 };
      // Three processes on 2 cores: 2/3 core each until the first ends at 1 (work 2/3), then 1 core each.
      cores.run(one, 2 / 3, done('short'));
      cores.run({ name: 'p2', maxRate: 1 }, 5 / 3, done('p2'));
      cores.run({ name: 'p3', maxRate: 0.25 }, 0.5, done('capped')); // takes 0.25; the two others 0.875
    });
    // short: 2/3 at 0.875 → 0.762 s. Then p2 gets 1 core (capped p3 keeps 0.25).
    expect(times.short).toBeCloseTo(2 / 3 / 0.875, 9);
    expect(times.capped).toBeCloseTo(2, 9);
    expect(times.p2).toBeCloseTo(2 / 3 / 0.875 + (5 / 3 - 2 / 3) / 1, 9);
  });

  it('splits a group share among its jobs, and counts the work done', () => {
    const queue = new EventQueue();
    const cores = new SharedResource(queue, 'cores', 4);
    const process = { name: 'node', maxRate: 1 };
    const ends: number[] = [];
    cores.run(process, 1, () => ends.push(queue.now));
    cores.run(process, 1, () => ends.push(queue.now));
    queue.runUntil(Infinity);
    expect(ends).toEqual([2, 2]);
    expect(cores.usedUnits).toBeCloseTo(2, 9);
  });

  it('lets endless background work take its share for as long as the run lasts', () => {
    const times = finishTimes((queue, done) => {
      const cores = new SharedResource(queue, 'cores', 2);
      cores.run({ name: 'other work', maxRate: 1.5 }, Infinity, done('never'));
      cores.run({ name: 'node', maxRate: 1 }, 1, done('job'));
      queue.at(100, () => cores.setCapacity(0));
    });
    // Two groups: an equal share is 1 core each; the background takes 1 of its 1.5.
    expect(times).toEqual({ job: 1 });
  });

  it('stalls at zero capacity and resumes when capacity returns', () => {
    const queue = new EventQueue();
    const link = new SharedResource(queue, 'link', 0);
    let doneAt: number | undefined;
    link.run({ name: 'x', maxRate: Infinity }, 10, () => (doneAt = queue.now));
    queue.at(5, () => link.setCapacity(10));
    queue.runUntil(Infinity);
    expect(doneAt).toBe(6);
  });
});
