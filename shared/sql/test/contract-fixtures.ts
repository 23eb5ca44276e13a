/**
 * Small generated fixtures for the SQL contract suite: a dataset shaped like iot_events, facts built
 * the way transform builds them, and a simple window aggregation of our own (the real one lives in
 * shared/aggregates; the stores only need *a* merge function).
 */
import type { DatasetDeclaration, Fact, TypedRow } from '../../datasets/dataset-declaration.js';
import { factKey } from '../../transform/to-fact.js';

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
  if (dataset.eventTime === undefined)
    return { values, key: factKey(dataset, values), eventDate: null, eventHour: null, windowStart: null, fileId, rowNumber };
  const at = new Date(String(values[dataset.eventTime]));
  const windowMs = dataset.windowMinutes * 60_000;
  return {
    values,
    key: factKey(dataset, values),
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

/**
 * A dataset whose declared sizes are at the limits the declaration allows: a composite key of
 * exactly 900 index bytes (446 characters of text + an integer), four dimensions whose longest
 * values encode to exactly the 440 characters a dimension key may have, text columns of 4000 (the
 * longest NVARCHAR with a size) and 20,000 characters (NVARCHAR(MAX)).
 */
export function maximalDataset(name: string): DatasetDeclaration {
  return {
    name,
    version: 1,
    columns: [
      { name: 'code', type: 'string', required: true, maxLength: 446 },
      { name: 'seq', type: 'integer', required: true },
      { name: 'at', type: 'timestamp', required: true },
      { name: 'region', type: 'string', required: true, maxLength: 297 },
      { name: 'kind', type: 'enum', values: ['a', 'k'.repeat(100)] },
      { name: 'flag', type: 'boolean' },
      { name: 'ratio', type: 'number' },
      { name: 'amount', type: 'number', min: 0 },
      { name: 'id', type: 'uuid', required: true },
      { name: 'note', type: 'string', maxLength: 4000 },
      { name: 'body', type: 'string', maxLength: 20_000 },
    ],
    key: ['code', 'seq'],
    partitionKey: 'code',
    eventTime: 'at',
    dimensions: ['region', 'kind', 'flag', 'ratio'],
    measures: ['amount', 'seq'],
    quantileMeasures: ['amount'],
    windowMinutes: 1,
    report: { measure: 'amount', dimension: 'region', percentile: 0.5, sigma: 3, minDistinctEvents: 1 },
  };
}

/**
 * Text of exactly `length` UTF-16 code units (what NVARCHAR and a declaration's maxLength count),
 * starting with `prefix` and holding non-ASCII and astral characters.
 */
export function textOfLength(length: number, prefix = ''): string {
  let text = prefix;
  while (text.length + 5 <= length) text += 'Zß€😀';
  return text.padEnd(length, 'x');
}

/** Rows of `maximalDataset` whose every value is as long as its column allows. */
export function maximalRows(count: number): TypedRow[] {
  return Array.from({ length: count }, (_, index) => ({
    code: textOfLength(446, `${index}:`),
    seq: index % 2 === 0 ? Number.MAX_SAFE_INTEGER : -Number.MAX_SAFE_INTEGER,
    at: index % 2 === 0 ? '9999-12-31T23:59:59.999Z' : '1000-01-01T00:00:00.000Z',
    region: textOfLength(297, `r${index % 2}:`),
    kind: 'k'.repeat(100),
    flag: false,
    ratio: -0.0000012345678901234567,
    amount: index % 2 === 0 ? 0.0000012345678901234567 : 12345678901234567000,
    id: uuidFor(index + 1),
    note: textOfLength(4000, `n${index}`),
    body: textOfLength(20_000, `b${index}`),
  }));
}

/** Two text columns that are both the key and the dimensions, for values holding would-be separators. */
export function pairDataset(name: string): DatasetDeclaration {
  return {
    name,
    version: 1,
    columns: [
      { name: 'a', type: 'string', required: true, maxLength: 32 },
      { name: 'b', type: 'string', required: true, maxLength: 32 },
      { name: 'at', type: 'timestamp', required: true },
      { name: 'v', type: 'number' },
    ],
    key: ['a', 'b'],
    partitionKey: 'a',
    eventTime: 'at',
    dimensions: ['a', 'b'],
    measures: ['v'],
    quantileMeasures: [],
    windowMinutes: 1,
  };
}

/** A dataset as a real-world file declares it: no key, a date event time, SQL names that are T-SQL keywords. */
export function keylessDataset(name: string): DatasetDeclaration {
  return {
    name,
    version: 1,
    columns: [
      { name: 'date', header: 'Date', type: 'date', required: true },
      { name: 'order', header: 'Order', type: 'string', maxLength: 20 },
      { name: 'select', header: 'Select?', type: 'boolean' },
      { name: 'count', header: 'Count', type: 'integer' },
    ],
    key: [],
    eventTime: 'date',
    dimensions: ['order'],
    measures: ['count'],
    quantileMeasures: [],
    windowMinutes: 1440,
    report: { measure: 'count', dimension: 'order', percentile: 0.5, sigma: 3, minDistinctEvents: 1 },
  };
}

/** A reference list with no date or time column: facts only, no windows, no report. */
export function timelessDataset(name: string): DatasetDeclaration {
  return {
    name,
    version: 1,
    columns: [
      { name: 'sku', header: 'SKU', type: 'string', required: true, maxLength: 16 },
      { name: 'title', header: 'Product Title', type: 'string', maxLength: 80 },
      { name: 'price', header: 'Price €', type: 'number' },
    ],
    key: ['sku'],
    dimensions: [],
    measures: [],
    quantileMeasures: [],
    windowMinutes: 1,
  };
}
