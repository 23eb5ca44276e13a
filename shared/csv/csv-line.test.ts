import { describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { csvField, csvLine } from './csv-line.js';

describe('csvLine', () => {
  it('quotes only fields that need it, and csv-parse reads back what was written', () => {
    expect([csvField('plain'), csvField(1.5), csvField(null), csvField(undefined)]).toEqual(['plain', '1.5', '', '']);
    const values = ['a,b', 'say "hi"', 'two\nlines', 'cr\rhere', 'x'];
    const line = csvLine(values);
    expect(line).toBe('"a,b","say ""hi""","two\nlines","cr\rhere",x');
    expect(parse(line)).toEqual([values]);
  });
});
