import { describe, expect, it } from 'vitest';
import { parseSchedule } from '../listeners/ncrontab.js';

const next = (expression: string, after: string): string => parseSchedule(expression).next(new Date(after)).toISOString();

describe('NCRONTAB schedules', () => {
  it('handles steps, lists, ranges and names', () => {
    expect(next('*/30 * * * * *', '2026-01-01T00:00:10Z')).toBe('2026-01-01T00:00:30.000Z');
    expect(next('0 */5 * * * *', '2026-01-01T00:07:00Z')).toBe('2026-01-01T00:10:00.000Z');
    expect(next('0 0 9-17 * * mon-fri', '2026-01-03T12:00:00Z')).toBe('2026-01-05T09:00:00.000Z'); // Saturday → Monday
    expect(next('0 30 9 1,15 * *', '2026-01-02T00:00:00Z')).toBe('2026-01-15T09:30:00.000Z');
    expect(next('0 0 0 1 jan *', '2026-06-01T00:00:00Z')).toBe('2027-01-01T00:00:00.000Z');
  });

  it('accepts a TimeSpan as a fixed interval', () => {
    expect(next('00:05:00', '2026-01-01T00:00:00Z')).toBe('2026-01-01T00:05:00.000Z');
  });

  it('rejects malformed schedules and ones that never fire', () => {
    expect(() => parseSchedule('* * * * *')).toThrow(/6 fields/);
    expect(() => parseSchedule('61 * * * * *')).toThrow(/outside/);
    expect(() => parseSchedule('0 0 0 30 feb *').next(new Date())).toThrow(/never fires/);
  });
});
