import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../local/sample-data/seeded-random.js';
import { mergeSketches, QuantileSketch } from './quantile-sketch.js';

function sketchOf(values: readonly number[], alpha?: number): QuantileSketch {
  const sketch = QuantileSketch.empty(alpha);
  for (const value of values) sketch.add(value);
  return sketch;
}

/** The value the sketch promises to approximate: x[floor(q·(n−1))] of the sorted values. */
function exactQuantile(sorted: readonly number[], q: number): number {
  return sorted[Math.floor(q * (sorted.length - 1))] as number;
}

const QUANTILES = [0, 0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999, 1];

describe('QuantileSketch', () => {
  it.each([
    ['log-normal durations', (r: ReturnType<typeof seededRandom>) => Math.exp(r.normal(3, 1.5))],
    ['uniform 0..1000 with zeros', (r: ReturnType<typeof seededRandom>) => (r.next() < 0.05 ? 0 : r.next() * 1000)],
    ['heavy tail', (r: ReturnType<typeof seededRandom>) => 1 / (1 - r.next()) ** 2],
  ])('stays within relative error alpha of the exact quantiles on %s', (_label, draw) => {
    for (const [seed, alpha] of [
      [1, 0.01],
      [2, 0.05],
    ] as const) {
      const random = seededRandom(seed);
      const values = Array.from({ length: 20_000 }, () => draw(random));
      const sketch = sketchOf(values, alpha);
      const sorted = [...values].sort((a, b) => a - b);
      for (const q of QUANTILES) {
        const exact = exactQuantile(sorted, q);
        const estimate = sketch.quantile(q);
        expect(Math.abs(estimate - exact), `q=${q} exact=${exact} estimate=${estimate}`).toBeLessThanOrEqual(alpha * exact + 1e-12);
      }
    }
  });

  it('returns the exact min and max at q = 0 and 1, and NaN when empty', () => {
    const sketch = sketchOf([5.5, 3.25, 1000.125]);
    expect(sketch.quantile(0)).toBe(3.25);
    expect(sketch.quantile(1)).toBe(1000.125);
    expect(QuantileSketch.empty().quantile(0.5)).toBeNaN();
  });

  it('serializes to JSON and back without change', () => {
    const sketch = sketchOf([0, 0.001, 1, 2, 2, 3e6]);
    const json = JSON.parse(JSON.stringify(sketch)) as ReturnType<QuantileSketch['toJSON']>;
    expect(json).toEqual(sketch.toJSON());
    expect(QuantileSketch.from(json).toJSON()).toEqual(json);
    expect(json).toMatchObject({ alpha: 0.01, zeroCount: 1, count: 6, min: 0, max: 3e6 });
    expect(QuantileSketch.empty().toJSON()).toEqual({ alpha: 0.01, zeroCount: 0, count: 0, min: 0, max: 0, buckets: {} });
  });

  it('merges into exactly the sketch of all values, in any grouping and order', () => {
    const random = seededRandom(99);
    for (let round = 0; round < 25; round++) {
      const values = Array.from({ length: 1 + random.int(500) }, () => (random.next() < 0.1 ? 0 : Math.exp(random.normal(2, 2))));
      const cuts = [random.int(values.length + 1), random.int(values.length + 1)].sort((a, b) => a - b) as [number, number];
      const [a, b, c] = [values.slice(0, cuts[0]), values.slice(cuts[0], cuts[1]), values.slice(cuts[1])].map((part) =>
        sketchOf(part).toJSON(),
      ) as [ReturnType<QuantileSketch['toJSON']>, ReturnType<QuantileSketch['toJSON']>, ReturnType<QuantileSketch['toJSON']>];
      const whole = sketchOf(values).toJSON();
      expect(mergeSketches(mergeSketches(a, b), c)).toEqual(whole);
      expect(mergeSketches(a, mergeSketches(b, c))).toEqual(whole);
      expect(mergeSketches(c, mergeSketches(a, b))).toEqual(whole);
      expect(mergeSketches(b, a)).toEqual(mergeSketches(a, b));
      expect(JSON.stringify(mergeSketches(b, a))).toBe(JSON.stringify(mergeSketches(a, b)));
      // The same text as the sketch of all values, bucket order included (values below 1 have negative indexes).
      expect(JSON.stringify(mergeSketches(mergeSketches(a, b), c))).toBe(JSON.stringify(whole));
    }
  });

  it('refuses to merge sketches of different accuracy', () => {
    expect(() => mergeSketches(QuantileSketch.empty(0.01).toJSON(), QuantileSketch.empty(0.02).toJSON())).toThrow(/different alpha/);
  });
});
