/**
 * NCRONTAB as the Functions host reads it (docs/functions-host.md, "Timer trigger schedules"):
 * the expected times are NCrontab's, worked out on the calendar.
 */
import { describe, expect, it } from 'vitest';
import { parseSchedule } from '../listeners/ncrontab.js';

const next = (expression: string, after: string): string => parseSchedule(expression).next(new Date(after)).toISOString();

/** The first `count` occurrences after `after`. */
function occurrences(expression: string, after: string, count: number): string[] {
  const schedule = parseSchedule(expression);
  const times: string[] = [];
  let at = new Date(after);
  for (let index = 0; index < count; index++) {
    at = schedule.next(at);
    times.push(at.toISOString().slice(0, 19));
  }
  return times;
}

describe('NCRONTAB schedules', () => {
  it('reads six fields with the seconds first', () => {
    expect(next('45 * * * * *', '2003-01-01T00:00:00Z')).toBe('2003-01-01T00:00:45.000Z');
    expect(next('3 45 * * * *', '2003-01-01T00:00:30Z')).toBe('2003-01-01T00:45:03.000Z');
    expect(next('0 */5 * * * *', '2026-01-01T00:07:00Z')).toBe('2026-01-01T00:10:00.000Z');
    expect(occurrences('45-47,48,49 * * * * *', '2003-01-01T00:00:46Z', 4)).toEqual([
      '2003-01-01T00:00:47',
      '2003-01-01T00:00:48',
      '2003-01-01T00:00:49',
      '2003-01-01T00:01:45',
    ]);
  });

  it('gives the next occurrence strictly after the time asked from, whole seconds, in UTC', () => {
    expect(next('*/30 * * * * *', '2026-01-01T00:00:10Z')).toBe('2026-01-01T00:00:30.000Z');
    expect(next('*/30 * * * * *', '2026-01-01T00:00:30Z')).toBe('2026-01-01T00:01:00.000Z');
    expect(next('*/30 * * * * *', '2026-01-01T00:00:29.999Z')).toBe('2026-01-01T00:00:30.000Z');
    expect(next('0 0 0 * * *', '2026-03-29T00:30:00Z')).toBe('2026-03-30T00:00:00.000Z');
  });

  it('steps from a start value to the end of the field, and through ranges', () => {
    expect(occurrences('2/5 * * * * *', '2003-01-01T00:00:50Z', 3)).toEqual([
      '2003-01-01T00:00:52',
      '2003-01-01T00:00:57',
      '2003-01-01T00:01:02',
    ]);
    expect(occurrences('0 10-40/15 * * * *', '2003-01-01T00:00:00Z', 4)).toEqual([
      '2003-01-01T00:10:00',
      '2003-01-01T00:25:00',
      '2003-01-01T00:40:00',
      '2003-01-01T01:10:00',
    ]);
    expect(next('0 0 9-17 * * mon-fri', '2026-01-03T12:00:00Z')).toBe('2026-01-05T09:00:00.000Z'); // Saturday → Monday
  });

  it('fires only when day and day-of-week both match', () => {
    // The 1st of a month that is a Monday: September 2003 (classic cron would fire on 6 January).
    expect(next('0 45 16 1 * Mon', '2003-01-01T12:00:00Z')).toBe('2003-09-01T16:45:00.000Z');
    expect(occurrences('0 0 0 13 * Fri', '2026-01-01T00:00:00Z', 2)).toEqual(['2026-02-13T00:00:00', '2026-03-13T00:00:00']);
  });

  it('reads English names and their prefixes in any case, with Sunday as 0', () => {
    expect(next('0 20 * * january,FeB,Mar,april,May,JuNE,July,Augu,SEPT-October,Nov,DECEM *', '1988-03-11T14:23:00Z')).toBe(
      '1988-03-11T15:20:00.000Z',
    );
    expect(next('0 10 * * February,April-Jun *', '2002-07-01T05:00:00Z')).toBe('2003-02-01T00:10:00.000Z');
    for (const sunday of ['0', 'sun', 'SUNDAY', 'Su'])
      expect(next(`0 30 6 * * ${sunday}`, '2003-06-26T10:00:00Z')).toBe('2003-06-29T06:30:00.000Z');
    // A prefix is the first name that starts with it: M is March among months, Monday among days.
    expect(next('0 0 0 1 M *', '2026-01-01T00:00:00Z')).toBe('2026-03-01T00:00:00.000Z');
    expect(next('0 0 0 * * M', '2026-01-01T00:00:00Z')).toBe('2026-01-05T00:00:00.000Z');
  });

  it('keeps to the calendar: short months and leap years', () => {
    expect(occurrences('0 0 0 15,30,31 * *', '2000-01-30T00:00:00Z', 5)).toEqual([
      '2000-01-31T00:00:00',
      '2000-02-15T00:00:00',
      '2000-03-15T00:00:00',
      '2000-03-30T00:00:00',
      '2000-03-31T00:00:00',
    ]);
    expect(occurrences('0 1 12 29 2 *', '2000-01-01T12:00:00Z', 3)).toEqual([
      '2000-02-29T12:01:00',
      '2004-02-29T12:01:00',
      '2008-02-29T12:01:00',
    ]);
  });

  it('accepts a TimeSpan as a fixed interval', () => {
    expect(next('00:05:00', '2026-01-01T00:00:00Z')).toBe('2026-01-01T00:05:00.000Z');
    expect(next('1.00:00:00', '2026-01-01T00:00:00Z')).toBe('2026-01-02T00:00:00.000Z');
  });

  it('refuses what NCrontab refuses, with the reason', () => {
    expect(() => parseSchedule('* * * * *')).toThrow(/6 fields/); // five-field cron
    expect(() => parseSchedule('0 0 0 1 1 * 2027')).toThrow(/6 fields/);
    expect(() => parseSchedule('61 * * * * *')).toThrow(/second/);
    expect(() => parseSchedule('0 0 24 * * *')).toThrow(/hour/);
    expect(() => parseSchedule('0 0 0 * * 7')).toThrow(/day-of-week "7" is outside 0-6/);
    expect(() => parseSchedule('0 0 0 * * 5-7')).toThrow(/outside 0-6/);
    for (const extension of ['0 0 0 L * *', '0 0 0 ? * *', '0 0 0 15W * *', '0 0 0 * * 5#3', '0 0 0 * * 5L']) {
      expect(() => parseSchedule(extension), extension).toThrow(/INVALID_CONFIG|invalid/);
    }
    expect(() => parseSchedule('0 0 0 1 Smarch *')).toThrow(/not a month name/);
    expect(() => parseSchedule('0 0 x * * *')).toThrow(/not a number/);
    expect(() => parseSchedule('0 0 0 5-1 * *')).toThrow(/invalid/);
    expect(() => parseSchedule('00:00:00')).toThrow(/positive/);
  });

  it('fails at parse time on a schedule that never fires', () => {
    expect(() => parseSchedule('0 0 0 30 feb *')).toThrow(/never fires/);
    expect(() => parseSchedule('0 0 0 31 4,6,9,11 *')).toThrow(/never fires/);
  });
});
