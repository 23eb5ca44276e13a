/**
 * Small generated fixtures for the SQL contract suite: a dataset shaped like iot_events, facts built
 * the way transform builds them, and a simple window aggregation of our own (the real one lives in
 * shared/aggregates; the stores only need *a* merge function).
 */
import type { DatasetDeclaration, Fact, TypedRow } from '../../datasets/dataset-declaration.js';
import type { MeasureSummary, SerializedSketch, WindowPartial } from '../../aggregates/window-partial.js';

export function contractDataset(name: string, report?: Partial<NonNullable<DatasetDeclaration['report']>>): DatasetDeclaration {
  return {
    name,
    version: 1,
    columns: [
      { name: 'event_id', type: 'uuid', required: true },
      { name: 'device_id', type: 'string', required: true, maxLength: 64 },
      { name: 'device_type', type: 'enum', required: true, values: ['temperature', 'pressure', 'motion'] },
      { name: 'timestamp', type: 'timestamp', required: true },
      { name: 'event_duration', type: 'number', required: true, min: 0 },
      { name: 'value', type: 'number' },
      { name: 'ok', type: 'boolean' },
      { name: 'note', type: 'string', maxLength: 512 },
    ],
    key: ['event_id'],
    partitionKey: 'device_id',
    eventTime: 'timestamp',
    dimensions: ['device_type'],
    measures: ['event_duration', 'value'],
    quantileMeasures: ['event_duration'],
    windowMinutes: 1,
    report: { measure: 'event_duration', dimension: 'device_type', percentile: 0.95, sigma: 3, minDistinctEvents: 5, ...report },
  };
}

/** Deterministic pseudo-random numbers (mulberry32), so fixtures are the same on every run. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A canonical lower-case uuid made from a number, so keys are reproducible. */
export function uuidFor(n: number): string {
  const hex = n.toString(16).padStart(32, '0').slice(-32);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function makeFact(dataset: DatasetDeclaration, values: TypedRow, fileId: string, rowNumber: number): Fact {
  const at = new Date(String(values[dataset.eventTime]));
  const windowMs = dataset.windowMinutes * 60_000;
  return {
    values,
    key: dataset.key.map((column) => String(values[column] ?? '')).join('\u001f'),
    eventDate: at.toISOString().slice(0, 10),
    eventHour: at.getUTCHours(),
    windowStart: new Date(Math.floor(at.getTime() / windowMs) * windowMs).toISOString(),
    fileId,
    rowNumber,
  };
}

export interface EventSpec {
  readonly id: number;
  readonly deviceType?: string;
  readonly at?: string;
  readonly duration?: number;
  readonly value?: number | null;
  readonly note?: string | null;
}

export function eventFact(dataset: DatasetDeclaration, spec: EventSpec, fileId: string, rowNumber: number): Fact {
  return makeFact(
    dataset,
    {
      event_id: uuidFor(spec.id),
      device_id: `device-${String(spec.id % 7).padStart(3, '0')}`,
      device_type: spec.deviceType ?? 'temperature',
      timestamp: spec.at ?? '2026-11-20T10:00:00.000Z',
      event_duration: spec.duration ?? spec.id,
      value: spec.value === undefined ? spec.id / 10 : spec.value,
      ok: spec.id % 2 === 0,
      note: spec.note ?? null,
    },
    fileId,
    rowNumber,
  );
}

function summary(values: readonly number[]): MeasureSummary {
  return {
    count: values.length,
    sum: values.reduce((a, b) => a + b, 0),
    sumOfSquares: values.reduce((a, b) => a + b * b, 0),
    min: Math.min(...values),
    max: Math.max(...values),
  };
}

/** An exact "sketch": one bucket per integer value, good enough to check storage round trips. */
function sketch(values: readonly number[]): SerializedSketch {
  const buckets: Record<string, number> = {};
  for (const value of values) buckets[String(Math.round(value))] = (buckets[String(Math.round(value))] ?? 0) + 1;
  return { alpha: 0.01, zeroCount: 0, count: values.length, min: Math.min(...values), max: Math.max(...values), buckets };
}

/** Partials of some facts: one per window and dimension key. */
export function partialsOf(dataset: DatasetDeclaration, facts: readonly Fact[]): WindowPartial[] {
  const groups = new Map<string, Fact[]>();
  for (const fact of facts) {
    const dimensionKey = dataset.dimensions.map((column) => String(fact.values[column] ?? '')).join('\u001f');
    const id = `${fact.windowStart}|${dimensionKey}`;
    groups.set(id, [...(groups.get(id) ?? []), fact]);
  }
  return [...groups.values()].map((group) => {
    const first = group[0] as Fact;
    const dimensions = Object.fromEntries(dataset.dimensions.map((column) => [column, String(first.values[column] ?? '')]));
    const measureValues = (measure: string) =>
      group.map((fact) => fact.values[measure]).filter((value): value is number => typeof value === 'number');
    return {
      dataset: dataset.name,
      windowStart: first.windowStart,
      windowMinutes: dataset.windowMinutes,
      dimensions,
      dimensionKey: dataset.dimensions.map((column) => dimensions[column]).join('\u001f'),
      count: group.length,
      measures: Object.fromEntries(dataset.measures.map((measure) => [measure, summary(measureValues(measure))])),
      sketches: Object.fromEntries(dataset.quantileMeasures.map((measure) => [measure, sketch(measureValues(measure))])),
    };
  });
}

export function mergeSummary(a: MeasureSummary, b: MeasureSummary): MeasureSummary {
  return {
    count: a.count + b.count,
    sum: a.sum + b.sum,
    sumOfSquares: a.sumOfSquares + b.sumOfSquares,
    min: Math.min(a.min, b.min),
    max: Math.max(a.max, b.max),
  };
}

export function mergePartial(existing: WindowPartial, incoming: WindowPartial): WindowPartial {
  const measures: Record<string, MeasureSummary> = { ...existing.measures };
  for (const [name, value] of Object.entries(incoming.measures)) {
    const before = measures[name];
    measures[name] = before ? mergeSummary(before, value) : value;
  }
  const sketches: Record<string, SerializedSketch> = { ...existing.sketches };
  for (const [name, value] of Object.entries(incoming.sketches)) {
    const before = sketches[name];
    if (!before) {
      sketches[name] = value;
      continue;
    }
    const buckets: Record<string, number> = { ...before.buckets };
    for (const [bucket, count] of Object.entries(value.buckets)) buckets[bucket] = (buckets[bucket] ?? 0) + count;
    sketches[name] = {
      alpha: before.alpha,
      zeroCount: before.zeroCount + value.zeroCount,
      count: before.count + value.count,
      min: Math.min(before.min, value.min),
      max: Math.max(before.max, value.max),
      buckets,
    };
  }
  return { ...existing, count: existing.count + incoming.count, measures, sketches };
}

/** Nearest-rank daily percentile computed in plain JS, independently of any SQL. */
export function expectedDailyPercentile(
  rows: readonly { day: string; dimension: string; value: number }[],
  report: { percentile: number; sigma: number; minDistinctEvents: number },
): { day: string; dimension: string; events: number; mean: number; stddev: number; kept: number; percentile: number }[] {
  const groups = new Map<string, number[]>();
  for (const row of rows) {
    const id = `${row.day}|${row.dimension}`;
    groups.set(id, [...(groups.get(id) ?? []), row.value]);
  }
  const result = [];
  for (const [id, values] of groups) {
    if (values.length < report.minDistinctEvents) continue;
    const [day, dimension] = id.split('|') as [string, string];
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const stddev = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
    const kept = values.filter((value) => Math.abs(value - mean) <= report.sigma * stddev).sort((a, b) => a - b);
    const rank = Math.ceil(report.percentile * kept.length);
    result.push({ day, dimension, events: values.length, mean, stddev, kept: kept.length, percentile: kept[rank - 1] as number });
  }
  return result.sort((a, b) => (a.day === b.day ? (a.dimension < b.dimension ? -1 : 1) : a.day < b.day ? -1 : 1));
}
