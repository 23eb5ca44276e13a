/** Identifiers: only the declaration pattern gets through, and quoting refuses anything else. */
import { describe, expect, it } from 'vitest';
import { assertIdentifier, quoteSqlite, quoteTsql } from '../sql-identifier.js';
import { datasetTables } from '../dataset-tables.js';
import { contractDataset } from './contract-fixtures.js';

describe('SQL identifiers', () => {
  it('accepts the declaration pattern and quotes per dialect', () => {
    expect(assertIdentifier('iot_events')).toBe('iot_events');
    expect(quoteSqlite('iot_events_facts')).toBe('"iot_events_facts"');
    expect(quoteTsql('iot_events_facts')).toBe('[iot_events_facts]');
  });

  it.each(['', 'Events', '1st', 'a-b', 'a b', 'a"b', 'a]b', "a'b", 'a;drop', `x${'y'.repeat(63)}`])('rejects %j', (name) => {
    expect(() => assertIdentifier(name)).toThrow(expect.objectContaining({ code: 'INVALID_DATASET' }));
  });

  it('refuses to quote what could close the quote', () => {
    for (const name of ['a"b', 'a]b', 'a]]; DROP TABLE x; --']) {
      expect(() => quoteSqlite(name)).toThrow();
      expect(() => quoteTsql(name)).toThrow();
    }
  });

  it('rejects declarations whose names would collide or use reserved columns', () => {
    const dataset = contractDataset('ok');
    expect(() => datasetTables({ ...dataset, columns: [...dataset.columns, { name: 'row_number', type: 'integer' }] })).toThrow(/reserved/);
    expect(() => datasetTables({ ...dataset, dimensions: ['device_type', 'nope'] })).toThrow(/not declared/);
    expect(() => datasetTables({ ...dataset, measures: ['device_type'] })).toThrow(/numeric/);
    expect(() =>
      datasetTables({ ...dataset, columns: [...dataset.columns, { name: 'value_count', type: 'string' }], dimensions: ['value_count'] }),
    ).toThrow(/twice/);
  });
});
