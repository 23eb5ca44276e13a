/**
 * Columns as real files write them: headers of any text, dates, timestamps in declared formats
 * and zones, numbers with separators, booleans with declared words, and no natural key.
 */
import { describe, expect, it } from 'vitest';
import { parseDatasetDeclaration } from '../datasets/dataset-schema.js';
import { sqlNameFor, uniqueSqlNames } from '../datasets/column-names.js';
import { toFact } from '../transform/to-fact.js';
import { bindHeader } from './header-binding.js';
import { validateRow } from './validate-row.js';

const birdstrikes = () =>
  parseDatasetDeclaration({
    name: 'birdstrikes',
    csv: { delimiter: ';', headerMatch: 'ignore-case-and-spaces' },
    columns: [
      { header: 'Airport Name', type: 'string', required: true },
      { header: 'Flight Date', type: 'date', required: true, formats: ['M/d/yyyy', 'yyyy-MM-dd'] },
      { header: 'Reported At', type: 'timestamp', formats: ['yyyy-MM-dd HH:mm:ss', 'MMM d yyyy'], timeZone: 'America/Chicago' },
      { header: 'Cost Total $', type: 'number', decimalSeparator: ',', thousandsSeparator: '.' },
      { header: 'Speed (kn)', type: 'integer', thousandsSeparator: ' ' },
      { header: 'Damage?', type: 'boolean', trueValues: ['Caused damage'], falseValues: ['No damage'] },
      { header: 'Température', type: 'number' },
      { name: 'event_date_note', header: 'event_date', type: 'string' },
    ],
    eventTime: 'flight_date',
    dimensions: ['damage'],
    measures: ['cost_total'],
  });

describe('headers separate from SQL names', () => {
  it('derives snake_case names from any header, unique and never a derived column', () => {
    expect(['Airport Name', 'Cost Total $', '2nd value', '  ', 'Température', 'x'.repeat(80)].map(sqlNameFor)).toEqual([
      'airport_name',
      'cost_total',
      'c_2nd_value',
      'column',
      'temperature',
      'x'.repeat(63),
    ]);
    expect(uniqueSqlNames([{ header: 'A b' }, { header: 'a-b' }, { name: 'a_b_2' }, { header: 'Event Date' }])).toEqual([
      'a_b',
      'a_b_3',
      'a_b_2',
      'event_date_2',
    ]);
    expect(birdstrikes().columns.map((column) => column.name)).toEqual([
      'airport_name',
      'flight_date',
      'reported_at',
      'cost_total',
      'speed_kn',
      'damage',
      'temperature',
      'event_date_note',
    ]);
  });

  it('matches headers by the declared rule, and ignores empty trailing header fields', () => {
    const dataset = birdstrikes();
    const header = [
      '  FLIGHT DATE',
      'airport_name',
      'Reported at',
      'cost total $',
      'Speed (KN)',
      'damage?',
      'TEMPÉRATURE',
      'Event_Date',
      '',
    ];
    const bound = bindHeader(dataset, header);
    expect(bound).toEqual({ ok: true, binding: { indexes: [1, 0, 2, 3, 4, 5, 6, 7], fieldCount: 9 } });
    const exact = bindHeader({ ...dataset, csv: { ...dataset.csv!, headerMatch: 'exact' } }, header);
    expect(exact.ok).toBe(false);
    expect(!exact.ok && exact.reason).toMatch(/missing columns: Airport Name, Flight Date/);
  });

  it('refuses two columns that would match one header', () => {
    expect(() =>
      parseDatasetDeclaration({
        name: 'x',
        csv: { headerMatch: 'ignore-case-and-spaces' },
        columns: [
          { header: 'A B', type: 'string' },
          { header: 'a_b', name: 'other', type: 'string' },
          { name: 'at', type: 'date', required: true },
        ],
        eventTime: 'at',
      }),
    ).toThrow(/columns\[1\]\.header: matches the same file header as column 'a_b'/);
  });
});

describe('types people have', () => {
  const dataset = birdstrikes();
  const binding = { indexes: dataset.columns.map((_, index) => index), fieldCount: dataset.columns.length };
  const row = (fields: string[]) => validateRow(dataset, binding, fields);

  it('reads dates, timestamps in formats and zones, separators and declared words', () => {
    expect(row(['DFW', '1/31/2000', '2000-01-31 18:30:00', '1.234,50', '1 250', 'caused damage', '-3.5', ''])).toEqual({
      ok: true,
      row: {
        airport_name: 'DFW',
        flight_date: '2000-01-31',
        reported_at: '2000-02-01T00:30:00.000Z',
        cost_total: 1234.5,
        speed_kn: 1250,
        damage: true,
        temperature: -3.5,
        event_date_note: null,
      },
    });
    const second = row(['DFW', '2000-07-04', 'Jul 4 2000', '0,5', '', 'No damage', '', '']);
    expect(second.ok && second.row).toMatchObject({
      flight_date: '2000-07-04',
      reported_at: '2000-07-04T05:00:00.000Z',
      cost_total: 0.5,
      speed_kn: null,
      damage: false,
    });
  });

  it.each([
    [1, '31/1/2000', "flight_date: '31/1/2000' is not a date in M/d/yyyy or yyyy-MM-dd"],
    [1, '2/30/2000', "flight_date: '2/30/2000' is not a date in M/d/yyyy or yyyy-MM-dd"],
    [2, '2000-01-31T18:30:00', "reported_at: '2000-01-31T18:30:00' is not a timestamp in yyyy-MM-dd HH:mm:ss or MMM d yyyy"],
    [3, '1,234.50', "cost_total: '1,234.50' is not a finite number"],
    [3, '12.34,5', "cost_total: '12.34,5' is not a finite number"],
    [4, '12 50', "speed_kn: '12 50' is not a safe integer"],
    [5, 'yes', "damage: 'yes' is not a boolean (caused damage/no damage)"],
    [0, 'D\u0000FW', 'airport_name: holds the control character U+0000 at position 2'],
  ])('rejects field %i = %j with its reason', (index, text, reason) => {
    const fields = ['DFW', '1/31/2000', '', '', '', '', '', ''];
    fields[index] = text;
    expect(row(fields)).toEqual({ ok: false, reason });
  });

  it('places a row with a date event time at 00:00 UTC of that day', () => {
    const result = row(['DFW', '1/31/2000', '', '', '', '', '', '']);
    if (!result.ok) throw new Error(result.reason);
    const fact = toFact(dataset, result.row, 'f', 1);
    expect([fact.eventDate, fact.eventHour, fact.windowStart]).toEqual(['2000-01-31', 0, '2000-01-31T00:00:00.000Z']);
  });
});

describe('no natural key', () => {
  it('keys a row by the hash of its typed values: rows equal once typed are duplicates', () => {
    const dataset = birdstrikes();
    expect(dataset.key).toEqual([]);
    const binding = { indexes: dataset.columns.map((_, index) => index), fieldCount: dataset.columns.length };
    const keyOf = (fields: string[]) => {
      const result = validateRow(dataset, binding, fields);
      if (!result.ok) throw new Error(result.reason);
      return toFact(dataset, result.row, 'f', 1).key;
    };
    const one = keyOf(['DFW', '1/31/2000', '', '1.000,0', '', '', '', '']);
    expect(one).toMatch(/^[0-9a-f]{64}$/);
    expect(keyOf([' DFW ', '2000-01-31', '', '1000', '', '', '', ''])).toBe(one);
    expect(keyOf(['DFW', '1/31/2000', '', '1000,5', '', '', '', ''])).not.toBe(one);
    expect(keyOf(['DFW', '1/31/2000', '', '1.000,0', '', '', '', 'x'])).not.toBe(one);
  });
});
