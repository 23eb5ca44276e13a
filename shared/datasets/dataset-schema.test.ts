import { describe, expect, it } from 'vitest';
import { isEtlError } from '../errors/etl-error.js';
import { parseDatasetDeclaration } from './dataset-schema.js';
import { iotEventsDataset } from './iot-events.js';

const minimal = () => ({
  name: 'orders',
  columns: [
    { name: 'order_id', type: 'uuid', required: true },
    { name: 'shop', type: 'string', required: true },
    { name: 'placed_at', type: 'timestamp', required: true },
    { name: 'amount', type: 'number', min: 0 },
  ],
  key: ['order_id'],
  partitionKey: 'shop',
  eventTime: 'placed_at',
  measures: ['amount'],
});

function messageOf(input: unknown): string {
  try {
    parseDatasetDeclaration(input, 'orders.json');
  } catch (error) {
    expect(isEtlError(error, 'INVALID_DATASET')).toBe(true);
    return (error as Error).message;
  }
  throw new Error('expected the declaration to be rejected');
}

describe('parseDatasetDeclaration', () => {
  it('fills defaults and freezes the result', () => {
    const dataset = parseDatasetDeclaration(minimal());
    expect(dataset.version).toBe(1);
    expect(dataset.windowMinutes).toBe(1);
    expect(dataset.dimensions).toEqual([]);
    expect(dataset.quantileMeasures).toEqual([]);
    expect(Object.isFrozen(dataset.columns[0])).toBe(true);
  });

  it('accepts a dataset without an event time: it loads facts only', () => {
    const { eventTime: _eventTime, measures: _measures, ...declaration } = minimal();
    const dataset = parseDatasetDeclaration(declaration);
    expect(dataset.eventTime).toBeUndefined();
    expect([dataset.dimensions, dataset.measures, dataset.report]).toEqual([[], [], undefined]);
  });

  it('accepts the built-in IoT dataset as docs/datasets.md describes it', () => {
    expect(iotEventsDataset.name).toBe('iot_events');
    expect(iotEventsDataset.columns.map((column) => column.name)).toEqual([
      'event_id',
      'device_id',
      'device_type',
      'timestamp',
      'event_duration',
      'value',
      'status',
      'location',
      'firmware',
    ]);
    expect(iotEventsDataset.report?.percentile).toBe(0.95);
  });

  it.each([
    [
      'a bad column type',
      (d: ReturnType<typeof minimal>) => void ((d.columns[3] as { type: string }).type = 'money'),
      /orders\.json: columns\[3\]\.type: /,
    ],
    ['a bad identifier', (d: ReturnType<typeof minimal>) => void (d.columns[1]!.name = 'Shop Name'), /columns\[1\]\.name: must match/],
    ['an unknown key column', (d: ReturnType<typeof minimal>) => void (d.key = ['nope']), /key\[0\]: 'nope' is not a declared column/],
    [
      'an optional key column',
      (d: ReturnType<typeof minimal>) => void delete (d.columns[0] as { required?: boolean }).required,
      /key\[0\]: column 'order_id' must be required/,
    ],
    [
      'an event time that is not a timestamp',
      (d: ReturnType<typeof minimal>) => void (d.eventTime = 'shop'),
      /eventTime: column 'shop' must have type timestamp/,
    ],
    [
      'a text measure',
      (d: ReturnType<typeof minimal>) => void (d.measures = ['shop']),
      /measures\[0\]: column 'shop' must be integer or number/,
    ],
    [
      'an enum without values',
      (d: ReturnType<typeof minimal>) => void ((d.columns[1] as { type: string }).type = 'enum'),
      /columns\[1\]\.values: an enum column needs values/,
    ],
    [
      'a reserved column name',
      (d: ReturnType<typeof minimal>) => void (d.columns[3]!.name = 'event_date'),
      /columns\[3\]\.name: 'event_date' is reserved/,
    ],
    [
      'min above max',
      (d: ReturnType<typeof minimal>) => void Object.assign(d.columns[3]!, { max: -1 }),
      /columns\[3\]\.max: must be ≥ min/,
    ],
    [
      'a window that does not tile a day',
      (d: ReturnType<typeof minimal>) => void Object.assign(d, { windowMinutes: 7 }),
      /windowMinutes: must divide 1440/,
    ],
    ['an unknown field', (d: ReturnType<typeof minimal>) => void Object.assign(d, { partitionkey: 'shop' }), /\(root\): .*partitionkey/],
    [
      'a quantile measure that may be negative',
      (d: ReturnType<typeof minimal>) =>
        void Object.assign(d, { quantileMeasures: ['amount'] }, ((d.columns[3] as { min?: number }).min = -5)),
      /quantileMeasures\[0\]: column 'amount' needs min ≥ 0/,
    ],
    [
      'a key too long for a SQL index',
      (d: ReturnType<typeof minimal>) =>
        void Object.assign(d, { key: ['order_id', 'shop'] }, Object.assign(d.columns[1]!, { maxLength: 500 })),
      /key: key columns take up to 1072 bytes in a SQL index key, more than 900/,
    ],
    [
      'dimensions too long for the window key',
      (d: ReturnType<typeof minimal>) =>
        void Object.assign(d, { dimensions: ['shop', 'order_id'] }, Object.assign(d.columns[1]!, { maxLength: 420 })),
      /dimensions: dimension values encoded together take up to 463 characters, more than 440/,
    ],
    [
      'rows too long for one event',
      (d: ReturnType<typeof minimal>) => void (d.columns as object[]).push({ name: 'notes', type: 'string', maxLength: 100_000 }),
      /columns: a row may hold up to 100341 characters, more than 100000/,
    ],
    [
      'a report dimension too long for the report index',
      (d: ReturnType<typeof minimal>) =>
        void Object.assign(
          d,
          { report: { measure: 'amount', dimension: 'shop', percentile: 0.9, sigma: 3, minDistinctEvents: 1 } },
          Object.assign(d.columns[1]!, { maxLength: 900 }),
        ),
      /report\.dimension: column 'shop' takes up to 1800 bytes in the report's SQL index, more than 1697/,
    ],
    [
      'measures without an event time',
      (d: ReturnType<typeof minimal>) => void delete (d as { eventTime?: string }).eventTime,
      /measures: needs eventTime: aggregates are kept per time window/,
    ],
    [
      'a report without an event time',
      (d: ReturnType<typeof minimal>) =>
        void Object.assign(d, {
          measures: [],
          eventTime: undefined,
          report: { measure: 'amount', dimension: 'shop', percentile: 0.9, sigma: 3, minDistinctEvents: 1 },
        }),
      /report: needs eventTime: the report is kept per day/,
    ],
    [
      'a bad pattern',
      (d: ReturnType<typeof minimal>) => void Object.assign(d.columns[1]!, { pattern: '(' }),
      /columns\[1\]\.pattern: not a valid regular expression/,
    ],
  ])('names the field for %s', (_label, mutate, expected) => {
    const declaration = minimal();
    mutate(declaration);
    expect(messageOf(declaration)).toMatch(expected);
  });
});
