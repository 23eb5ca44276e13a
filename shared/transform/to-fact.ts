/**
 * Transform: a validated row becomes a fact — its de-duplication key plus the columns derived from
 * its event time (UTC date, hour and window start). Pure; the caller supplies the provenance.
 */
import { EtlError } from '../errors/etl-error.js';
import type { DatasetDeclaration, Fact, TypedRow } from '../datasets/dataset-declaration.js';
import { createHash } from 'node:crypto';
import { encodeTuple, valueText } from '../datasets/value-tuple.js';

/**
 * The dataset key of a row: its key column values as one tuple text (value-tuple.ts). A dataset
 * that declares no key is keyed by the row itself: the SHA-256 (hex) of all its typed values in
 * declaration order, as one tuple text. Values are compared after typing, so rows that differ
 * only in how a value is written (`1.0` and `1`, spaces around a field, `2026-01-01T01:00+01:00`
 * and `2026-01-01T00:00Z`) are the same row.
 */
export function factKey(dataset: DatasetDeclaration, row: TypedRow): string {
  const key = dataset.key;
  if (key.length === 1) return valueText(row[key[0] as string]);
  if (key.length === 0) {
    return createHash('sha256')
      .update(encodeTuple(dataset.columns.map((column) => valueText(row[column.name]))), 'utf8')
      .digest('hex');
  }
  return encodeTuple(key.map((name) => valueText(row[name])));
}

/**
 * Start of the window holding `instant` (canonical UTC text). Windows divide a UTC day evenly
 * (the schema checks that windowMinutes divides 1440), so they line up with days and hours.
 */
export function windowStartOf(instant: string, windowMinutes: number): string {
  // One-minute windows: cut the seconds off, no Date needed.
  if (windowMinutes === 1) return `${instant.slice(0, 17)}00.000Z`;
  const windowMs = windowMinutes * 60_000;
  return new Date(Math.floor(Date.parse(instant) / windowMs) * windowMs).toISOString();
}

/**
 * @param fileId the file the row came from; @param rowNumber its 1-based data row number.
 * @throws EtlError('INTERNAL') when the event time is not a validated timestamp (a caller bug:
 *   validateRow guarantees it, because the schema makes the event-time column required).
 */
export function toFact(dataset: DatasetDeclaration, row: TypedRow, fileId: string, rowNumber: number): Fact {
  if (dataset.eventTime === undefined) {
    // Facts only: the row is in no day, hour or window.
    return { values: row, key: factKey(dataset, row), eventDate: null, eventHour: null, windowStart: null, fileId, rowNumber };
  }
  const value = row[dataset.eventTime];
  // A date places the row at 00:00 UTC of that day.
  const eventTime = typeof value === 'string' && value.length === 10 ? `${value}T00:00:00.000Z` : value;
  if (typeof eventTime !== 'string' || eventTime.length !== 24) {
    throw new EtlError('INTERNAL', `row ${rowNumber} of ${fileId}: event time ${dataset.eventTime} is not a validated timestamp`);
  }
  return {
    values: row,
    key: factKey(dataset, row),
    eventDate: eventTime.slice(0, 10),
    eventHour: Number(eventTime.slice(11, 13)),
    windowStart: windowStartOf(eventTime, dataset.windowMinutes),
    fileId,
    rowNumber,
  };
}
