import { describe, expect, it } from 'vitest';
import { leastSquaresSlope, processMemory, quantile, spread } from '../soak-summary.js';

describe('soak summary', () => {
  it('fits the RSS slope by least squares after the warm-up, in MiB per hour', () => {
    const samples = [
      { atSeconds: 0, rssMiB: 50 }, // warm-up: left out of the slope
      { atSeconds: 60, rssMiB: 200 },
      { atSeconds: 120, rssMiB: 201 },
      { atSeconds: 180, rssMiB: 202 },
      { atSeconds: 240, rssMiB: 203 },
    ];
    expect(processMemory('transform-1', samples, 60)).toEqual({
      role: 'transform-1',
      startMiB: 50,
      endMiB: 203,
      maxMiB: 203,
      slopeMiBPerHour: 60,
    });
    expect(
      leastSquaresSlope([
        { x: 1, y: 3 },
        { x: 2, y: 1 },
        { x: 3, y: 2 },
      ]),
    ).toBeCloseTo(-0.5, 12);
    expect(leastSquaresSlope([{ x: 1, y: 3 }])).toBeUndefined();
    expect(
      leastSquaresSlope([
        { x: 1, y: 3 },
        { x: 1, y: 4 },
      ]),
    ).toBeUndefined();
  });

  it('takes quantiles by nearest rank', () => {
    const values = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
    expect(quantile(values, 0.5)).toBe(5);
    expect(quantile(values, 0.95)).toBe(10);
    expect(quantile([], 0.5)).toBeUndefined();
    expect(spread(values)).toEqual({ mean: 5.5, p50: 5, p95: 10, max: 10 });
  });
});
