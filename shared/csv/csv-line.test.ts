import { describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { csvField, csvLine } from './csv-line.js';

describe('csvLine', () => {
  it('quotes only fields that need it, and csv-parse reads back what was written', () => {
    expect([csvField('plain'), csvField(1.5), csvField(null), csvField(undefined)]).toEqual(['plain', '1.5', '', '']);
    const values = ['a,b', 'say "hi"', 'two\nlines', 'cr here', 'x'];
    const line = csvLine(values);
    expect(line).toBe('"a,b","say ""hi""","two\nlines",cr here,x');
    expect(parse(line)).toEqual([values]);
  });

  it('writes text a spreadsheet would run as a formula as text, and numbers as numbers', () => {
    const cells = ['=HYPERLINK("http://x","y")', '+1+1', '-2+3', '@SUM(A1)', '\t=1', '\r=1', '-', '=', 'a=b'];
    expect(cells.map(csvField)).toEqual([
      `"'=HYPERLINK(""http://x"",""y"")"`,
      "'+1+1",
      "'-2+3",
      "'@SUM(A1)",
      "'\t=1",
      `"'\r=1"`,
      "'-",
      "'=",
      'a=b',
    ]);
    expect(['-3.500', '+12', '-1e-3', '.5', '-0'].map(csvField)).toEqual(['-3.500', '+12', '-1e-3', '.5', '-0']);
    expect([csvField(-3.5), csvField(-0.001)]).toEqual(['-3.5', '-0.001']);
    // Every cell a spreadsheet reads still starts with a character it does not evaluate.
    for (const [parsed] of parse(csvLine(cells)) as string[][]) expect(parsed?.startsWith("'")).toBe(true);
  });
});
