/**
 * Writing CSV (RFC 4180): a field holding a comma, a quote or a line break is quoted, its quotes
 * doubled. For the reports the CLI and the load tests write; reading CSV is csv-reader.ts.
 */

/** One field; null and undefined become an empty field. */
export function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One record, without its line end. */
export function csvLine(values: readonly (string | number | null | undefined)[]): string {
  return values.map(csvField).join(',');
}
