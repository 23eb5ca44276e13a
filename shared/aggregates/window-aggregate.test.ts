import { describe, expect, it } from 'vitest';
import { seededRandom, type SeededRandom } from '../../local/sample-data/seeded-random.js';
import type { Fact } from '../datasets/dataset-declaration.js';
import { iotEventsDataset } from '../datasets/iot-events.js';
import { toFact } from '../transform/to-fact.js';
import { emptyWindowPartial, mergeWindowPartials, partialsFromFacts, windowDimensionKey, windowQuantile } from './window-aggregate.js';
import type { WindowPartial } from './window-partial.js';

const TYPES = ['temperature', 'pressure', 'humidity'];

function randomFacts(random: SeededRandom, count: number): Fact[] {
  return Array.from({ length: count }, (_, index) => {
    const second = random.int(180); // three one-minute windows
    const row = {
      event_id: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
      device_id: 'device-001',
      device_type: TYPES[random.int(TYPES.length)] as string,
      timestamp: new Date(Date.UTC(2026, 0, 1, 23, 58, second, random.int(1000))).toISOString(),
      event_duration: Math.round(Math.exp(random.normal(3, 1)) * 1000) / 1000,
      value: Math.round(random.normal(20, 10) * 100) / 100,
      status: 'normal',
      location: null,
      firmware: null,
    };
    return toFact(iotEventsDataset, row, 'file', index + 1);
  });
}

/** Merge with sums compared up to rounding: everything else must be exactly equal. */
function expectSamePartial(actual: WindowPartial, expected: WindowPartial): void {
  const { measures: actualMeasures, ...actualRest } = actual;
  const { measures: expectedMeasures, ...expectedRest } = expected;
  expect(actualRest).toEqual(expectedRest);
  expect(Object.keys(actualMeasures).sort()).toEqual(Object.keys(expectedMeasures).sort());
  for (const [name, summary] of Object.entries(expectedMeasures)) {
    const other = actualMeasures[name]!;
    expect({ ...other, sum: 0, sumOfSquares: 0 }).toEqual({ ...summary, sum: 0, sumOfSquares: 0 });
    expect(other.sum).toBeCloseTo(summary.sum, 9);
    expect(other.sumOfSquares).toBeCloseTo(summary.sumOfSquares, 6);
  }
}

describe('partialsFromFacts', () => {
  it('gives one partial per window and device type, equal to a group-by over the facts', () => {
    const facts = randomFacts(seededRandom(5), 2000);
    const partials = partialsFromFacts(iotEventsDataset, facts);
    expect(partials.length).toBe(9); // 3 windows (23:58, 23:59, 00:00 next day) × 3 types
    expect(partials.map((p) => p.windowStart)[8]).toBe('2026-01-02T00:00:00.000Z');
    for (const partial of partials) {
      const group = facts.filter(
        (fact) => fact.windowStart === partial.windowStart && fact.values.device_type === partial.dimensions.device_type,
      );
      const durations = group.map((fact) => fact.values.event_duration as number);
      expect(partial.dimensionKey).toBe(partial.dimensions.device_type);
      expect(partial.count).toBe(group.length);
      expect(partial.measures.event_duration).toMatchObject({
        count: group.length,
        min: Math.min(...durations),
        max: Math.max(...durations),
      });
      expect(partial.measures.event_duration!.sum).toBeCloseTo(
        durations.reduce((a, b) => a + b, 0),
        6,
      );
      expect(partial.sketches.event_duration!.count).toBe(group.length);
      const sorted = [...durations].sort((a, b) => a - b);
      const exact = sorted[Math.floor(0.95 * (sorted.length - 1))]!;
      expect(Math.abs(windowQuantile(partial, 'event_duration', 0.95) - exact)).toBeLessThanOrEqual(0.01 * exact);
    }
  });

  it('counts rows whose measure is NULL without adding them to the measure', () => {
    const [fact] = randomFacts(seededRandom(1), 1);
    const withNull: Fact = { ...fact!, values: { ...fact!.values, value: null } };
    const [partial] = partialsFromFacts(iotEventsDataset, [fact!, withNull]);
    expect(partial!.count).toBe(2);
    expect(partial!.measures.value!.count).toBe(1);
    expect(partial!.measures.event_duration!.count).toBe(2);
  });
});

describe('mergeWindowPartials', () => {
  it('is associative and commutative over random splits, and equals the partial of all facts', () => {
    const random = seededRandom(11);
    for (let round = 0; round < 30; round++) {
      const facts = randomFacts(random, 1 + random.int(300)).filter(
        (fact) => fact.windowStart === '2026-01-01T23:59:00.000Z' && fact.values.device_type === 'pressure',
      );
      if (facts.length < 3) continue;
      const cuts = [1 + random.int(facts.length - 2), 1 + random.int(facts.length - 2)].sort((x, y) => x - y) as [number, number];
      const parts = [facts.slice(0, cuts[0]), facts.slice(cuts[0], cuts[1]), facts.slice(cuts[1])].filter((part) => part.length > 0);
      const [a, b, c = emptyWindowPartial(iotEventsDataset, '2026-01-01T23:59:00.000Z', { device_type: 'pressure' })] = parts.map(
        (part) => partialsFromFacts(iotEventsDataset, part)[0]!,
      ) as [WindowPartial, WindowPartial, WindowPartial?];
      const whole = partialsFromFacts(iotEventsDataset, facts)[0]!;
      expectSamePartial(mergeWindowPartials(mergeWindowPartials(a, b), c), whole);
      expectSamePartial(mergeWindowPartials(a, mergeWindowPartials(b, c)), whole);
      expect(mergeWindowPartials(a, b)).toEqual(mergeWindowPartials(b, a));
    }
  });

  it('has the empty partial as identity', () => {
    const [partial] = partialsFromFacts(iotEventsDataset, randomFacts(seededRandom(3), 1));
    const empty = emptyWindowPartial(iotEventsDataset, partial!.windowStart, partial!.dimensions);
    expect(mergeWindowPartials(empty, partial!)).toEqual(partial);
    expect(mergeWindowPartials(partial!, empty)).toEqual(partial);
  });

  it('refuses to merge partials of different windows', () => {
    const a = emptyWindowPartial(iotEventsDataset, '2026-01-01T00:00:00.000Z', { device_type: 'light' });
    const b = emptyWindowPartial(iotEventsDataset, '2026-01-01T00:01:00.000Z', { device_type: 'light' });
    expect(() => mergeWindowPartials(a, b)).toThrow(/different windows/);
  });
});

describe('windowDimensionKey', () => {
  it('encodes dimension values in declaration order, NULL as empty', () => {
    expect(windowDimensionKey(iotEventsDataset, { device_type: 'motion' })).toBe('motion');
    expect(
      windowDimensionKey({ ...iotEventsDataset, dimensions: ['device_type', 'location'] }, { device_type: 'motion', location: null }),
    ).toBe('6:motion0:');
  });

  it('keeps two dimension tuples apart whatever characters their values hold', () => {
    const dataset = { ...iotEventsDataset, dimensions: ['device_type', 'location'] };
    // U+001F passes validation in a string field; joined with it, these two tuples merged into one window.
    const [first, second] = randomFacts(seededRandom(3), 2) as [Fact, Fact];
    const facts = [
      { ...first, values: { ...first.values, device_type: 'motion', location: 'a\u001fb' }, windowStart: first.windowStart },
      { ...second, values: { ...second.values, device_type: 'motion\u001fa', location: 'b' }, windowStart: first.windowStart },
    ];
    const partials = partialsFromFacts(dataset, facts);
    expect(partials.map((partial) => [partial.dimensions, partial.count])).toEqual(
      expect.arrayContaining([
        [{ device_type: 'motion', location: 'a\u001fb' }, 1],
        [{ device_type: 'motion\u001fa', location: 'b' }, 1],
      ]),
    );
    expect(partials).toHaveLength(2);
  });
});
