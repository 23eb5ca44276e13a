/**
 * Window aggregates as `empty / add / merge` over plain data (window-partial.ts). Transform turns
 * the new facts of a chunk into partials; aggregate merges partials into window rows.
 *
 * Merge is commutative, and associative exactly for counts, min, max and sketches; `sum` and
 * `sumOfSquares` are floating-point sums, associative up to rounding (about 1e-15 relative).
 */
import { EtlError } from '../errors/etl-error.js';
import type { DatasetDeclaration, Fact, TypedRow } from '../datasets/dataset-declaration.js';
import { encodeTuple, valueText } from '../datasets/value-tuple.js';
import { mergeSketches, QuantileSketch } from './quantile-sketch.js';
import type { MeasureSummary, SerializedSketch, WindowPartial } from './window-partial.js';

const EMPTY_SUMMARY: MeasureSummary = Object.freeze({ count: 0, sum: 0, sumOfSquares: 0, min: 0, max: 0 });

const dimensionText = valueText;

/** The dimension values of a row in the dataset's `dimensions` order, as one tuple text (value-tuple.ts). */
export function windowDimensionKey(dataset: DatasetDeclaration, row: TypedRow): string {
  const dimensions = dataset.dimensions;
  if (dimensions.length === 0) return '';
  if (dimensions.length === 1) return dimensionText(row[dimensions[0] as string]);
  return encodeTuple(dimensions.map((name) => dimensionText(row[name])));
}

/** The partial of a window and dimension value with no rows yet: the identity of merge. */
export function emptyWindowPartial(dataset: DatasetDeclaration, windowStart: string, dimensions: Record<string, string>): WindowPartial {
  const ordered: Record<string, string> = {};
  for (const name of dataset.dimensions) ordered[name] = dimensions[name] ?? '';
  return {
    dataset: dataset.name,
    windowStart,
    windowMinutes: dataset.windowMinutes,
    dimensions: ordered,
    dimensionKey: dataset.dimensions.length === 0 ? '' : encodeTuple(dataset.dimensions.map((name) => ordered[name] as string)),
    count: 0,
    measures: Object.fromEntries(dataset.measures.map((name) => [name, EMPTY_SUMMARY])),
    sketches: Object.fromEntries(dataset.quantileMeasures.map((name) => [name, QuantileSketch.empty().toJSON()])),
  };
}

function mergeSummaries(a: MeasureSummary, b: MeasureSummary): MeasureSummary {
  if (a.count === 0) return b;
  if (b.count === 0) return a;
  return {
    count: a.count + b.count,
    sum: a.sum + b.sum,
    sumOfSquares: a.sumOfSquares + b.sumOfSquares,
    min: Math.min(a.min, b.min),
    max: Math.max(a.max, b.max),
  };
}

function dimensionsOf(names: readonly string[], row: TypedRow): Record<string, string> {
  const dimensions: Record<string, string> = {};
  for (const name of names) dimensions[name] = dimensionText(row[name]);
  return dimensions;
}

/** Mutable accumulator of one (window, dimension key) while facts are added. */
interface Accumulator {
  readonly windowStart: string;
  readonly dimensions: Record<string, string>;
  readonly dimensionKey: string;
  count: number;
  readonly summaries: { count: number; sum: number; sumOfSquares: number; min: number; max: number }[];
  readonly sketches: QuantileSketch[];
}

/**
 * One partial per (window, dimension key) of `facts`, sorted by window then key. Measure values
 * that are NULL (optional columns) count toward the window's row count but not the measure.
 */
export function partialsFromFacts(dataset: DatasetDeclaration, facts: readonly Fact[]): WindowPartial[] {
  const groups = new Map<string, Accumulator>();
  const { measures, quantileMeasures, dimensions } = dataset;
  const sketchSlot = quantileMeasures.map((name) => measures.indexOf(name));
  for (const fact of facts) {
    // A dataset without an event time has no windows (its facts carry no window start).
    const windowStart = fact.windowStart;
    if (windowStart === null) continue;
    const dimensionKey = windowDimensionKey(dataset, fact.values);
    // Window starts are all 24 characters long, so the key splits one way only.
    const groupKey = `${windowStart}${dimensionKey}`;
    let group = groups.get(groupKey);
    if (group === undefined) {
      group = {
        windowStart,
        dimensions: dimensionsOf(dimensions, fact.values),
        dimensionKey,
        count: 0,
        summaries: measures.map(() => ({ count: 0, sum: 0, sumOfSquares: 0, min: Infinity, max: -Infinity })),
        sketches: quantileMeasures.map(() => QuantileSketch.empty()),
      };
      groups.set(groupKey, group);
    }
    group.count++;
    for (let i = 0; i < measures.length; i++) {
      const value = fact.values[measures[i] as string];
      if (typeof value !== 'number') continue;
      const summary = group.summaries[i] as Accumulator['summaries'][number];
      summary.count++;
      summary.sum += value;
      summary.sumOfSquares += value * value;
      if (value < summary.min) summary.min = value;
      if (value > summary.max) summary.max = value;
    }
    for (let i = 0; i < quantileMeasures.length; i++) {
      const value = fact.values[measures[sketchSlot[i] as number] as string];
      if (typeof value === 'number') (group.sketches[i] as QuantileSketch).add(value);
    }
  }
  return [...groups.values()].map((group) => toPartial(dataset, group)).sort(byWindowThenKey);
}

/** A finished accumulator as a partial: measures without a value get the empty summary. */
function toPartial(dataset: DatasetDeclaration, group: Accumulator): WindowPartial {
  const { measures, quantileMeasures } = dataset;
  const summaries: Record<string, MeasureSummary> = {};
  for (let i = 0; i < measures.length; i++) {
    const summary = group.summaries[i] as Accumulator['summaries'][number];
    summaries[measures[i] as string] = summary.count === 0 ? EMPTY_SUMMARY : summary;
  }
  const sketches: Record<string, SerializedSketch> = {};
  for (let i = 0; i < quantileMeasures.length; i++)
    sketches[quantileMeasures[i] as string] = (group.sketches[i] as QuantileSketch).toJSON();
  return {
    dataset: dataset.name,
    windowStart: group.windowStart,
    windowMinutes: dataset.windowMinutes,
    dimensions: group.dimensions,
    dimensionKey: group.dimensionKey,
    count: group.count,
    measures: summaries,
    sketches,
  };
}

function byWindowThenKey(a: WindowPartial, b: WindowPartial): number {
  if (a.windowStart !== b.windowStart) return a.windowStart < b.windowStart ? -1 : 1;
  if (a.dimensionKey !== b.dimensionKey) return a.dimensionKey < b.dimensionKey ? -1 : 1;
  return 0;
}

function mergeRecords<T>(a: Readonly<Record<string, T>>, b: Readonly<Record<string, T>>, merge: (x: T, y: T) => T): Record<string, T> {
  const merged: Record<string, T> = { ...a };
  for (const [name, value] of Object.entries(b)) {
    const existing = merged[name];
    merged[name] = existing === undefined ? value : merge(existing, value);
  }
  return merged;
}

/**
 * Merges two partials of the same window and dimension key. Pure, commutative and associative
 * (sums up to rounding), with `emptyWindowPartial` as identity.
 * @throws EtlError('INTERNAL') when the partials belong to different windows or datasets.
 */
export function mergeWindowPartials(a: WindowPartial, b: WindowPartial): WindowPartial {
  if (
    a.dataset !== b.dataset ||
    a.windowStart !== b.windowStart ||
    a.dimensionKey !== b.dimensionKey ||
    a.windowMinutes !== b.windowMinutes
  ) {
    throw new EtlError(
      'INTERNAL',
      `cannot merge partials of different windows: ${a.dataset} ${a.windowStart} '${a.dimensionKey}' and ${b.dataset} ${b.windowStart} '${b.dimensionKey}'`,
    );
  }
  return {
    dataset: a.dataset,
    windowStart: a.windowStart,
    windowMinutes: a.windowMinutes,
    dimensions: { ...a.dimensions },
    dimensionKey: a.dimensionKey,
    count: a.count + b.count,
    measures: mergeRecords(a.measures, b.measures, mergeSummaries),
    sketches: mergeRecords<SerializedSketch>(a.sketches, b.sketches, mergeSketches),
  };
}

/** The q-quantile of a measure in a window, from its sketch (NaN when the window has none of it). */
export function windowQuantile(partial: WindowPartial, measure: string, q: number): number {
  const sketch = partial.sketches[measure];
  if (sketch === undefined) throw new EtlError('INTERNAL', `window has no sketch for measure '${measure}'`);
  return QuantileSketch.from(sketch).quantile(q);
}
