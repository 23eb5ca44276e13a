import { describe, expect, it } from 'vitest';
import { parseDatasetDeclaration } from '../../../shared/datasets/dataset-schema.js';
import { formatReport } from '../report-printer.js';

describe('formatReport', () => {
  it('says that a dataset without an event time loads facts only, and where they go', () => {
    const products = parseDatasetDeclaration({
      name: 'products',
      columns: [{ name: 'sku', type: 'string', required: true }],
      key: ['sku'],
    });
    expect(formatReport(products, [], 'table')).toEqual([
      'dataset products has no event time: it loads facts only (table products_facts), without window aggregates or a report',
    ]);
  });

  it('says that a dataset with an event time but no report declares none', () => {
    const readings = parseDatasetDeclaration({
      name: 'readings',
      columns: [{ name: 'at', type: 'timestamp', required: true }],
      eventTime: 'at',
    });
    expect(formatReport(readings, [], 'csv')).toEqual(['dataset readings declares no report']);
  });
});
