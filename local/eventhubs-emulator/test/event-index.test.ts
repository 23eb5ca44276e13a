import { describe, expect, it } from 'vitest';
import { EventIndex } from '../storage/event-index.js';

describe('event index', () => {
  it('answers for the events it holds and refuses any other sequence number', () => {
    const index = new EventIndex();
    index.startAt(10, -1, 0);
    for (const [offset, size] of [
      [0, 100],
      [100, 50],
      [150, 70],
    ] as const)
      index.push(offset, 1_000 + offset, size);
    expect([10, 11, 12].map((sequenceNumber) => index.offsetOf(sequenceNumber))).toEqual([0, 100, 150]);
    expect(index.sizeOf(12)).toBe(70);
    expect(index.nextOffset()).toBe(220);
    // Before the first and past the last held event there is nothing to answer with.
    expect(() => index.offsetOf(9)).toThrow(RangeError);
    expect(() => index.timeOf(13)).toThrow(/sequence number 13 is not held \(10 to 12 are\)/);
    index.dropBefore(12);
    expect(() => index.sizeOf(11)).toThrow(RangeError);
    expect(index.offsetOf(12)).toBe(150);
  });
});
