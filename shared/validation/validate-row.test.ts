import { describe, expect, it } from 'vitest';
import { iotEventsDataset } from '../datasets/iot-events.js';
import { parseDatasetDeclaration } from '../datasets/dataset-schema.js';
import { bindHeader, identityBinding } from './header-binding.js';
import { validateRow } from './validate-row.js';

const good = [
  '0F8FAD5B-D9CB-469F-A165-70867728950E',
  'device-007',
  'temperature',
  '2026-03-01T12:34:56.789+02:00',
  ' 12.5 ',
  '-3e2',
  'normal',
  '',
  'fw-1.2',
];
const binding = identityBinding(iotEventsDataset);

function reasonFor(index: number, text: string): string {
  const fields = [...good];
  fields[index] = text;
  const result = validateRow(iotEventsDataset, binding, fields);
  if (result.ok) throw new Error(`expected ${JSON.stringify(text)} to be rejected`);
  return result.reason;
}

describe('validateRow on the IoT dataset', () => {
  it('types a good row: trimmed, UUID lower-cased, instant in UTC, empty optional as null', () => {
    const result = validateRow(iotEventsDataset, binding, good);
    expect(result).toEqual({
      ok: true,
      row: {
        event_id: '0f8fad5b-d9cb-469f-a165-70867728950e',
        device_id: 'device-007',
        device_type: 'temperature',
        timestamp: '2026-03-01T10:34:56.789Z',
        event_duration: 12.5,
        value: -300,
        status: 'normal',
        location: null,
        firmware: 'fw-1.2',
      },
    });
  });

  it.each([
    [0, '', 'event_id: required, but empty'],
    [0, 'not-a-uuid', "event_id: 'not-a-uuid' is not a UUID"],
    [1, 'dev-1', "device_id: 'dev-1' does not match device-[0-9]{3,}"],
    [2, 'foo', "device_type: 'foo' is not one of temperature, pressure, humidity, motion, light"],
    [2, 'Temperature', "device_type: 'Temperature' is not one of temperature, pressure, humidity, motion, light"],
    [3, '2026-02-30T00:00:00Z', "timestamp: '2026-02-30T00:00:00Z' is not an ISO-8601 instant with a zone"],
    [3, '2026-03-01T12:00:00', "timestamp: '2026-03-01T12:00:00' is not an ISO-8601 instant with a zone"],
    [4, '-1', 'event_duration: -1 is below the minimum 0'],
    [4, '0x10', "event_duration: '0x10' is not a finite number"],
    [5, 'Infinity', "value: 'Infinity' is not a finite number"],
    [5, '0b101', "value: '0b101' is not a finite number"],
    [5, '0O17', "value: '0O17' is not a finite number"],
    [5, '1.2.3', "value: '1.2.3' is not a finite number"],
    [5, '1 000', "value: '1 000' is not a finite number"],
    [0, '0f8fad5b-d9cb-469f-a165-70867728950', "event_id: '0f8fad5b-d9cb-469f-a165-70867728950' is not a UUID"],
    [0, '0f8fad5b-d9cb-469f-a165_70867728950e', "event_id: '0f8fad5b-d9cb-469f-a165_70867728950e' is not a UUID"],
    [0, '0g8fad5b-d9cb-469f-a165-70867728950e', "event_id: '0g8fad5b-d9cb-469f-a165-70867728950e' is not a UUID"],
    [5, '1e400', "value: '1e400' is not a finite number"],
    [6, 'ok', "status: 'ok' is not one of normal, warning, critical"],
    [7, 'x'.repeat(300), 'location: 300 characters, longer than 256'],
  ])('rejects field %i = %j with a reason naming the column', (index, text, reason) => {
    expect(reasonFor(index, text)).toBe(reason);
  });

  it('accepts every plain decimal notation and trims any whitespace', () => {
    const values = ['0', '-0.5', '+.5', '5.', '0e5', '1E-3', '007', '\u00a042\t'].map((text) => {
      const fields = [...good];
      fields[5] = text;
      const result = validateRow(iotEventsDataset, binding, fields);
      return result.ok ? result.row.value : result.reason;
    });
    expect(values).toEqual([0, -0.5, 0.5, 5, 0, 0.001, 7, 42]);
  });

  it('rejects a row with the wrong number of fields', () => {
    const result = validateRow(iotEventsDataset, binding, good.slice(0, 8));
    expect(result).toEqual({ ok: false, reason: 'expected 9 fields, got 8' });
  });

  it('reads columns through a header binding in any order', () => {
    const header = iotEventsDataset.columns.map((column) => column.name).reverse();
    const bound = bindHeader(
      iotEventsDataset,
      header.map((name) => ` ${name} `),
    );
    if (!bound.ok) throw new Error(bound.reason);
    const result = validateRow(iotEventsDataset, bound.binding, [...good].reverse());
    expect(result.ok && result.row.device_id).toBe('device-007');
  });
});

describe('validateRow on other column types', () => {
  const dataset = parseDatasetDeclaration({
    name: 'readings',
    columns: [
      { name: 'id', type: 'integer', required: true, min: 1, max: 1000 },
      { name: 'at', type: 'timestamp', required: true },
      { name: 'flag', type: 'boolean' },
    ],
    key: ['id'],
    partitionKey: 'id',
    eventTime: 'at',
  });
  const check = (fields: string[]) => validateRow(dataset, identityBinding(dataset), fields);

  it('types integers, booleans and instants with offsets', () => {
    expect(check(['+42', '2026-01-01 00:30-01:00', 'YES'])).toEqual({
      ok: true,
      row: { id: 42, at: '2026-01-01T01:30:00.000Z', flag: true },
    });
    expect(check(['7', '2025-12-31T23:59:59.9999999Z', '0'])).toEqual({
      ok: true,
      row: { id: 7, at: '2025-12-31T23:59:59.999Z', flag: false },
    });
  });

  it.each([
    [['1.5', '2026-01-01T00:00:00Z', ''], "id: '1.5' is not a safe integer"],
    [['9007199254740993', '2026-01-01T00:00:00Z', ''], "id: '9007199254740993' is not a safe integer"],
    [['1001', '2026-01-01T00:00:00Z', ''], 'id: 1001 is above the maximum 1000'],
    [['1', '2026-01-01T24:00:00Z', ''], "at: '2026-01-01T24:00:00Z' is not an ISO-8601 instant with a zone"],
    [['1', '2026-01-01T00:00:00Z', 'maybe'], "flag: 'maybe' is not a boolean (true/false/1/0/yes/no)"],
  ])('rejects %j', (fields, reason) => {
    expect(check(fields)).toEqual({ ok: false, reason });
  });
});

describe('bindHeader', () => {
  it('lists missing, unknown and duplicate columns', () => {
    const header = ['event_id', 'device_id', 'device_type', 'timestamp', 'event_duration', 'value', 'status', 'Location', 'status'];
    const result = bindHeader(iotEventsDataset, header);
    expect(result).toEqual({
      ok: false,
      reason:
        'header does not match dataset iot_events: missing columns: location, firmware; unknown columns: Location; duplicate columns: status',
    });
  });
});
