/**
 * `npm run bench:sketch [-- --values 200 --partials 500 --rounds 5]`
 *
 * Our DDSketch (`shared/aggregates/quantile-sketch.ts`) against Datadog's `@datadog/sketches-js`,
 * both at relative accuracy 0.01, on the path the pipeline's sketches take: transform adds a chunk's
 * values to one sketch per window and dimension (a partial, `--values` each), the partial travels in
 * a JSON event body, and aggregate merges `--partials` of them into the window row it stores. It
 * prints, per value distribution:
 * - relative error at p50 … p99.9 of a window against the exact quantile (and the worst);
 * - add time per value;
 * - merge time per partial: in memory, and on the stored form (the row read, the partial merged, the
 *   row written back: JSON for ours, base64 protobuf for sketches-js, which is what a text column or
 *   a JSON event can hold);
 * - size on the wire of a partial and of a window row.
 * Times are the best of `--rounds`, the two libraries measured back to back in each round.
 */
import { parseArgs } from 'node:util';
import { DDSketch } from '@datadog/sketches-js';
import { QuantileSketch, mergeSketches } from '../shared/aggregates/quantile-sketch.js';
import type { SerializedSketch } from '../shared/aggregates/window-partial.js';
import { seededRandom } from '../local/sample-data/seeded-random.js';

const { values: options } = parseArgs({
  options: {
    values: { type: 'string', default: '200' },
    partials: { type: 'string', default: '500' },
    rounds: { type: 'string', default: '5' },
  },
});
const VALUES_PER_PARTIAL = Number(options.values);
const PARTIALS = Number(options.partials);
const ROUNDS = Number(options.rounds);
const ALPHA = 0.01;
const QUANTILES = [0.5, 0.9, 0.95, 0.99, 0.999];

/** Distributions of positive measures: durations (log-normal), readings (uniform), waits (exponential), a heavy tail (Pareto). */
const DISTRIBUTIONS: Record<string, (next: () => number) => number> = {
  'log-normal (durations)': (next) => Math.exp(3 + Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next())),
  'uniform 0-100 (readings)': (next) => next() * 100,
  'exponential (waits)': (next) => -Math.log(1 - next()) * 40,
  'Pareto α=1.2 (heavy tail)': (next) => 1 / (1 - next()) ** (1 / 1.2),
};

/** The stored form of a sketches-js sketch: base64 protobuf, with min and max beside it (fromProto drops them). */
interface StoredDatadogSketch {
  readonly proto: string;
  readonly min: number;
  readonly max: number;
}

function toStored(sketch: DDSketch): StoredDatadogSketch {
  return { proto: Buffer.from(sketch.toProto()).toString('base64'), min: sketch.min, max: sketch.max };
}

function fromStored(stored: StoredDatadogSketch): DDSketch {
  const sketch = DDSketch.fromProto(Buffer.from(stored.proto, 'base64'));
  sketch.min = stored.min;
  sketch.max = stored.max;
  return sketch;
}

/** Nanoseconds per item of the fastest of `ROUNDS` runs of each of two functions, run alternately. */
function timeBoth(items: number, ours: () => void, theirs: () => void): { ours: number; theirs: number } {
  let bestOurs = Number.POSITIVE_INFINITY;
  let bestTheirs = Number.POSITIVE_INFINITY;
  for (let round = 0; round < ROUNDS; round++) {
    let started = process.hrtime.bigint();
    ours();
    bestOurs = Math.min(bestOurs, Number(process.hrtime.bigint() - started) / items);
    started = process.hrtime.bigint();
    theirs();
    bestTheirs = Math.min(bestTheirs, Number(process.hrtime.bigint() - started) / items);
  }
  return { ours: bestOurs, theirs: bestTheirs };
}

const exactQuantile = (sorted: Float64Array, q: number) => sorted[Math.floor(q * (sorted.length - 1))] as number;
const relativeError = (estimate: number, exact: number) => Math.abs(estimate - exact) / exact;
const format = (value: number, digits = 1) =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function benchDistribution(name: string, draw: (next: () => number) => number): void {
  const { next } = seededRandom(20261207);
  const partialValues = Array.from({ length: PARTIALS }, () => Float64Array.from({ length: VALUES_PER_PARTIAL }, () => draw(next)));
  const all = new Float64Array(PARTIALS * VALUES_PER_PARTIAL);
  partialValues.forEach((values, index) => all.set(values, index * VALUES_PER_PARTIAL));
  const sorted = Float64Array.from(all).sort();

  const adds = timeAdds(partialValues, all.length);
  const oursWire = adds.oursPartials.map((sketch) => JSON.stringify(sketch.toJSON()));
  const theirsWire = adds.theirsPartials.map((sketch) => JSON.stringify(toStored(sketch)));
  const inMemory = timeMergesInMemory(adds.oursPartials, adds.theirsPartials);
  const stored = timeMergesStored(oursWire, theirsWire);

  console.log(`\n${name}: ${PARTIALS} partials of ${VALUES_PER_PARTIAL} values (${all.length.toLocaleString('en-US')} in the window)`);
  printAccuracy(sorted, inMemory, stored);
  const mean = (texts: string[]) => texts.reduce((sum, text) => sum + Buffer.byteLength(text), 0) / texts.length;
  const rows: [string, number, number, string][] = [
    ['add, ns per value', adds.time.ours, adds.time.theirs, ''],
    ['merge in memory, µs per partial', inMemory.time.ours / 1000, inMemory.time.theirs / 1000, ''],
    ['merge stored row + partial, µs per partial', stored.time.ours / 1000, stored.time.theirs / 1000, ''],
    ['partial on the wire, bytes (mean)', mean(oursWire), mean(theirsWire), ''],
    ['window row on the wire, bytes', Buffer.byteLength(stored.oursRow), Buffer.byteLength(stored.theirsRow), ''],
  ];
  console.log(`  ${''.padEnd(44)}${'ours'.padStart(12)}${'sketches-js'.padStart(14)}${'ours / theirs'.padStart(15)}`);
  for (const [label, ours, theirs] of rows)
    console.log(`  ${label.padEnd(44)}${format(ours).padStart(12)}${format(theirs).padStart(14)}${format(ours / theirs, 2).padStart(15)}`);
}

/** Transform's side: one sketch per partial. */
function timeAdds(partialValues: readonly Float64Array[], count: number) {
  let oursPartials: QuantileSketch[] = [];
  let theirsPartials: DDSketch[] = [];
  const time = timeBoth(
    count,
    () => {
      oursPartials = partialValues.map((values) => {
        const sketch = QuantileSketch.empty(ALPHA);
        for (const value of values) sketch.add(value);
        return sketch;
      });
    },
    () => {
      theirsPartials = partialValues.map((values) => {
        const sketch = new DDSketch({ relativeAccuracy: ALPHA });
        for (const value of values) sketch.accept(value);
        return sketch;
      });
    },
  );
  return { time, oursPartials, theirsPartials };
}

/** Aggregate's side, in memory: fold the partials into one sketch. */
function timeMergesInMemory(oursPartials: readonly QuantileSketch[], theirsPartials: readonly DDSketch[]) {
  let oursWindow = QuantileSketch.empty(ALPHA);
  let theirsWindow = new DDSketch({ relativeAccuracy: ALPHA });
  const time = timeBoth(
    PARTIALS,
    () => {
      oursWindow = QuantileSketch.empty(ALPHA);
      for (const partial of oursPartials) oursWindow.merge(partial);
    },
    () => {
      theirsWindow = new DDSketch({ relativeAccuracy: ALPHA });
      for (const partial of theirsPartials) theirsWindow.merge(partial);
    },
  );
  return { time, oursWindow, theirsWindow };
}

/** Aggregate's side as it runs: the stored row is read, the partial from the event merged, the row written back. */
function timeMergesStored(oursWire: readonly string[], theirsWire: readonly string[]) {
  let oursRow = '';
  let theirsRow = '';
  const time = timeBoth(
    PARTIALS,
    () => {
      let row = JSON.stringify(QuantileSketch.empty(ALPHA).toJSON());
      for (const partial of oursWire)
        row = JSON.stringify(mergeSketches(JSON.parse(row) as SerializedSketch, JSON.parse(partial) as SerializedSketch));
      oursRow = row;
    },
    () => {
      let row = JSON.stringify(toStored(new DDSketch({ relativeAccuracy: ALPHA })));
      for (const partial of theirsWire) {
        const window = fromStored(JSON.parse(row) as StoredDatadogSketch);
        window.merge(fromStored(JSON.parse(partial) as StoredDatadogSketch));
        row = JSON.stringify(toStored(window));
      }
      theirsRow = row;
    },
  );
  return { time, oursRow, theirsRow };
}

/** Each sketch's relative error against the exact quantiles, and whether the stored form answers as the in-memory one. */
function printAccuracy(
  sorted: Float64Array,
  inMemory: ReturnType<typeof timeMergesInMemory>,
  stored: ReturnType<typeof timeMergesStored>,
): void {
  const oursStored = QuantileSketch.from(JSON.parse(stored.oursRow) as SerializedSketch);
  const theirsStored = fromStored(JSON.parse(stored.theirsRow) as StoredDatadogSketch);
  console.log('  relative error     ' + QUANTILES.map((q) => `p${q * 100}`.padStart(16)).join(''));
  for (const [label, quantile] of [
    ['ours', (q: number) => oursStored.quantile(q)],
    ['sketches-js', (q: number) => theirsStored.getValueAtQuantile(q)],
  ] as const) {
    const errors = QUANTILES.map((q) => relativeError(quantile(q), exactQuantile(sorted, q)));
    console.log(
      `  ${label.padEnd(17)}${errors.map((error) => `${format(error * 100, 3)} %`.padStart(16)).join('')}   worst ${format(Math.max(...errors) * 100, 3)} %`,
    );
  }
  // The stored form must not change an answer (sketches-js recomputes its mapping from the protobuf, so allow rounding).
  const same = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.abs(a);
  const oursSame = QUANTILES.every((q) => same(inMemory.oursWindow.quantile(q), oursStored.quantile(q)));
  const theirsSame = QUANTILES.every((q) => same(inMemory.theirsWindow.getValueAtQuantile(q), theirsStored.getValueAtQuantile(q)));
  console.log(`  stored merges answer as in-memory ones: ours ${oursSame ? 'yes' : 'NO'}, sketches-js ${theirsSame ? 'yes' : 'NO'}`);
}

console.log(
  `Quantile sketches at relative accuracy ${ALPHA}: ours (shared/aggregates/quantile-sketch.ts) and @datadog/sketches-js; best of ${ROUNDS} rounds.`,
);
for (const [name, draw] of Object.entries(DISTRIBUTIONS)) benchDistribution(name, draw);
