import { describe, expect, it } from 'vitest';
import { LOAD_PROFILE_NAMES, isLoadProfileName, planUploads } from './load-profiles.js';

const options = { files: 4, rows: 1000, intervalSeconds: 5, runId: 'r1' };

describe('load profiles', () => {
  it('burst uploads every file at once, each of the given size, under distinct names and seeds', () => {
    const plan = planUploads('burst', options);
    expect(plan.map((upload) => upload.atSeconds)).toEqual([0, 0, 0, 0]);
    expect(plan.map((upload) => upload.rows)).toEqual([1000, 1000, 1000, 1000]);
    expect(plan.map((upload) => upload.blobName)).toEqual([
      'iot_events/load-r1-1.csv',
      'iot_events/load-r1-2.csv',
      'iot_events/load-r1-3.csv',
      'iot_events/load-r1-4.csv',
    ]);
    expect(new Set(plan.map((upload) => upload.seed)).size).toBe(4);
  });

  it('steady spaces equal files by the interval; ramp grows them up to the given size', () => {
    expect(planUploads('steady', options).map((upload) => [upload.atSeconds, upload.rows])).toEqual([
      [0, 1000],
      [5, 1000],
      [10, 1000],
      [15, 1000],
    ]);
    expect(planUploads('ramp', options).map((upload) => [upload.atSeconds, upload.rows])).toEqual([
      [0, 250],
      [5, 500],
      [10, 750],
      [15, 1000],
    ]);
  });

  it('pads file numbers so that names sort in upload order', () => {
    const names = planUploads('steady', { ...options, files: 12 }).map((upload) => upload.blobName);
    expect(names[0]).toBe('iot_events/load-r1-01.csv');
    expect([...names].sort()).toEqual(names);
  });

  it('refuses options no run could use, and knows its profile names', () => {
    expect(() => planUploads('burst', { ...options, files: 0 })).toThrow(/files must be a positive integer/);
    expect(() => planUploads('burst', { ...options, rows: 1.5 })).toThrow(/rows must be a positive integer/);
    expect(() => planUploads('steady', { ...options, intervalSeconds: -1 })).toThrow(/interval/);
    expect(() => planUploads('burst', { ...options, runId: 'a/b' })).toThrow(/run id/);
    expect(LOAD_PROFILE_NAMES).toEqual(['burst', 'steady', 'ramp']);
    expect(isLoadProfileName('steady')).toBe(true);
    expect(isLoadProfileName('toString')).toBe(false);
  });
});
