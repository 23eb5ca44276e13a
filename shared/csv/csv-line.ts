/**
 * Writing CSV (RFC 4180): a field holding a comma, a quote or a line break is quoted, its quotes
 * doubled. For the reports the CLI and the load tests write; reading CSV is csv-reader.ts.
 *
 * Cells are formula-safe: a spreadsheet runs a text cell that begins with `=`, `+`, `-`, `@`, a tab
 * or a carriage return as a formula (CSV injection, OWASP), and report cells hold data values (a
 * dimension value comes from an uploaded file). Such text is written with a leading `'`, which
 * spreadsheets show as text; numbers, including negative ones, are written as they are.
 */

/** Text that is a plain decimal number (`-3.5`, `+1e-3`): a spreadsheet reads it as a number, never a formula. */
const PLAIN_NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;
const FORMULA_START = /^[=+\-@\t\r]/;

/** One field; null and undefined become an empty field. */
export function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && FORMULA_START.test(text) && !PLAIN_NUMBER.test(text)) text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One record, without its line end. */
export function csvLine(values: readonly (string | number | null | undefined)[]): string {
  return values.map(csvField).join(',');
}
