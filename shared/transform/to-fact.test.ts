import { describe, expect, it } from 'vitest';
import { parseDatasetDeclaration } from '../datasets/dataset-schema.js';
import { iotEventsDataset } from '../datasets/iot-events.js';
import { identityBinding } from '../validation/header-binding.js';
import { validateRow } from '../validation/validate-row.js';
import { factKey, toFact } from './to-fact.js';

function iotRow(timestamp: string) {
  const fields = ['6f1c8f5e-3b1a-4c57-9a55-0f6a3b1f2d10', 'device-001', 'motion', timestamp, '5', '1', 'normal', '', ''];
  const result = validateRow(iotEventsDataset, identityBinding(iotEventsDataset), fields);
  if (!result.ok) throw new Error(result.reason);
  return result.row;
}

describe('toFact', () => {
  it('derives the UTC date, hour and window across midnight from an offset instant', () => {
    // 00:59:59.999 at +01:00 is the previous UTC day.
    const fact = toFact(iotEventsDataset, iotRow('2026-01-01T00:59:59.999+01:00'), 'file-1', 17);
    expect(fact).toMatchObject({
      key: '6f1c8f5e-3b1a-4c57-9a55-0f6a3b1f2d10',
      eventDate: '2025-12-31',
      eventHour: 23,
      windowStart: '2025-12-31T23:59:00.000Z',
      fileId: 'file-1',
      rowNumber: 17,
    });
  });

  it('puts an instant exactly on a window boundary into the window it starts', () => {
    expect(toFact(iotEventsDataset, iotRow('2026-01-02T00:00:00Z'), 'f', 1)).toMatchObject({
      eventDate: '2026-01-02',
      eventHour: 0,
      windowStart: '2026-01-02T00:00:00.000Z',
    });
    expect(toFact(iotEventsDataset, iotRow('2026-01-01T23:59:59.999Z'), 'f', 1).windowStart).toBe('2026-01-01T23:59:00.000Z');
  });

  it('aligns longer windows to the UTC day', () => {
    const dataset = parseDatasetDeclaration({
      name: 'slow',
      columns: [
        { name: 'id', type: 'string', required: true },
        { name: 'part', type: 'integer', required: true },
        { name: 'at', type: 'timestamp', required: true },
      ],
      key: ['id', 'part'],
      partitionKey: 'id',
      eventTime: 'at',
      windowMinutes: 15,
    });
    const row = { id: 'a', part: 2, at: '2026-05-05T10:44:59.999Z' };
    const fact = toFact(dataset, row, 'f', 3);
    expect(fact.windowStart).toBe('2026-05-05T10:30:00.000Z');
    expect(toFact(dataset, { ...row, at: '2026-05-05T10:45:00.000Z' }, 'f', 3).windowStart).toBe('2026-05-05T10:45:00.000Z');
    expect(factKey(dataset, row)).toBe('1:a1:2');
  });

  it('gives rows different keys whenever their key values differ, whatever characters they hold', () => {
    const dataset = parseDatasetDeclaration({
      name: 'pairs',
      columns: [
        { name: 'a', type: 'string', required: true, maxLength: 64 },
        { name: 'b', type: 'string', required: true, maxLength: 64 },
        { name: 'at', type: 'timestamp', required: true },
      ],
      key: ['a', 'b'],
      partitionKey: 'a',
      eventTime: 'at',
    });
    const at = '2026-05-05T10:00:00.000Z';
    // U+001F passes validation in a string field; joined with it, these two keys were one.
    const pairs = [
      ['x\u001fy', 'z'],
      ['x', 'y\u001fz'],
      ['1:x', 'y'],
      ['1', 'x1:y'],
      ['x:', ':y'],
      ['x', '::y'],
    ];
    const keys = pairs.map(([a, b]) => factKey(dataset, { a: a as string, b: b as string, at }));
    expect(new Set(keys).size).toBe(pairs.length);
  });

  it('places a row of a dataset without an event time in no day, hour or window', () => {
    const dataset = parseDatasetDeclaration({
      name: 'products',
      columns: [
        { name: 'sku', type: 'string', required: true },
        { name: 'price', type: 'number' },
      ],
      key: ['sku'],
    });
    expect(toFact(dataset, { sku: 'a-1', price: 2.5 }, 'f', 7)).toEqual({
      values: { sku: 'a-1', price: 2.5 },
      key: factKey(dataset, { sku: 'a-1', price: 2.5 }),
      eventDate: null,
      eventHour: null,
      windowStart: null,
      fileId: 'f',
      rowNumber: 7,
    });
  });
});
