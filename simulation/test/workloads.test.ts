import { describe, expect, it } from 'vitest';
import { loadTestWorkload, planWorkload, poissonArrivals } from '../model/workloads.js';

const BYTES_PER_ROW = 100;

describe('workloads', () => {
  it('burst: every file at once, the total split over the files', () => {
    const workload = planWorkload({ profile: 'burst', gigabytes: 50, files: 50, csvBytesPerRow: BYTES_PER_ROW });
    expect(workload.files).toHaveLength(50);
    expect(new Set(workload.files.map((file) => file.arriveAt))).toEqual(new Set([0]));
    expect(workload.files.reduce((sum, file) => sum + file.rows, 0)).toBe(500_000_000);
    expect(workload.description).toBe('50 files of 1 GB landing at once (50 GB)');
  });

  it('steady: one file every interval that the daily volume gives', () => {
    const workload = planWorkload({ profile: 'steady', gigabytes: 10, fileMegabytes: 100, hours: 6, csvBytesPerRow: BYTES_PER_ROW });
    // 10 GB a day in 100 MB files: 100 a day, one every 864 s; 6 h hold 25.
    expect(workload.files).toHaveLength(25);
    expect(workload.files[1]!.arriveAt).toBeCloseTo(864, 6);
    expect(workload.offeredSeconds).toBe(21_600);
  });

  it('diurnal: the daily volume on average, more files in the afternoon than at night, the same for a seed', () => {
    const options = { profile: 'diurnal', gigabytes: 1000, fileMegabytes: 1000, csvBytesPerRow: BYTES_PER_ROW } as const;
    const workload = planWorkload(options);
    expect(workload.files.length).toBeGreaterThan(900);
    expect(workload.files.length).toBeLessThan(1100);
    const between = (from: number, to: number) =>
      workload.files.filter((file) => file.arriveAt >= from * 3600 && file.arriveAt < to * 3600).length;
    expect(between(14, 18)).toBeGreaterThan(3 * between(2, 6));
    expect(planWorkload(options).files).toEqual(workload.files);
    expect(planWorkload({ ...options, seed: 8 }).files).not.toEqual(workload.files);
  });

  it('spike: the base rate, and the factor during the spike', () => {
    const workload = planWorkload({
      profile: 'spike',
      gigabytes: 100,
      fileMegabytes: 100,
      hours: 2,
      spikeFactor: 10,
      spikeMinutes: 10,
      spikeAtHours: 1,
      csvBytesPerRow: BYTES_PER_ROW,
    });
    const inSpike = workload.files.filter((file) => file.arriveAt >= 3600 && file.arriveAt < 4200).length;
    const before = workload.files.filter((file) => file.arriveAt < 3600).length;
    // Base: 1000 files a day, ~42 an hour; the spike: ~69 in 10 minutes.
    expect(before).toBeGreaterThan(25);
    expect(before).toBeLessThan(60);
    expect(inSpike).toBeGreaterThan(40);
  });

  it('reuses the load-test profiles for the calibrated runs', () => {
    const ramp = loadTestWorkload('ramp', { files: 3, rows: 300, intervalSeconds: 2 });
    expect(ramp.files.map((file) => [file.arriveAt, file.rows])).toEqual([
      [0, 100],
      [2, 200],
      [4, 300],
    ]);
  });

  it('refuses sizes no workload has', () => {
    expect(() => planWorkload({ profile: 'burst', files: 0, csvBytesPerRow: BYTES_PER_ROW })).toThrow(RangeError);
    expect(() => planWorkload({ profile: 'diurnal', amplitude: 1.5, csvBytesPerRow: BYTES_PER_ROW })).toThrow(RangeError);
    expect(poissonArrivals(() => 0, 0, 100, 1)).toEqual([]);
  });
});
