/**
 * Dates and timestamps in declared formats, read with Luxon (the kept library: format tokens such
 * as `yyyy-MM-dd HH:mm:ss`, `MM/dd/yyyy`, `MMM d yyyy`, and IANA time zones from the platform's
 * Intl data). Each format is compiled once per column; formats are tried in the declared order.
 * A value with an offset in it (`ZZ` tokens, or ISO text with `Z`/`+02:00`) keeps its offset; a
 * value without one is read in the column's time zone (UTC when none is declared). In a
 * daylight-saving gap a local time moves forward by the gap; in an overlap the second (standard-time)
 * reading is taken.
 */
import { DateTime, type Zone, IANAZone, FixedOffsetZone } from 'luxon';

type FormatParser = ReturnType<typeof DateTime.buildFormatParser>;

/** Years 1000–9999 only: what the canonical texts (and SQL's DATE / DATETIME2) hold. */
function inRange(value: DateTime): boolean {
  return value.isValid && value.year >= 1000 && value.year <= 9999;
}

function zoneOf(timeZone: string | undefined): Zone {
  return timeZone === undefined ? FixedOffsetZone.utcInstance : IANAZone.create(timeZone);
}

/** `text → canonical UTC instant` for a timestamp column with formats and/or a time zone. */
export function timestampReader(
  formats: readonly string[] | undefined,
  timeZone: string | undefined,
): (text: string) => string | undefined {
  const zone = zoneOf(timeZone);
  if (formats === undefined) {
    // ISO-8601 date and time; the zone applies only to values written without an offset.
    return (text) => {
      if (!/^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}/.test(text)) return undefined;
      const value = DateTime.fromISO(text.replace(' ', 'T'), { zone });
      return inRange(value.toUTC()) ? (value.toUTC().toISO() ?? undefined) : undefined;
    };
  }
  const parsers: FormatParser[] = formats.map((format) => DateTime.buildFormatParser(format, { locale: 'en-US' }));
  return (text) => {
    for (const parser of parsers) {
      const value = DateTime.fromFormatParser(text, parser, { zone }).toUTC();
      if (inRange(value)) return value.toISO() ?? undefined;
    }
    return undefined;
  };
}

/** `text → YYYY-MM-DD` for a date column with formats. */
export function dateReader(formats: readonly string[]): (text: string) => string | undefined {
  const parsers: FormatParser[] = formats.map((format) => DateTime.buildFormatParser(format, { locale: 'en-US' }));
  return (text) => {
    for (const parser of parsers) {
      const value = DateTime.fromFormatParser(text, parser, { zone: FixedOffsetZone.utcInstance });
      if (inRange(value)) return value.toISODate() ?? undefined;
    }
    return undefined;
  };
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** An ISO calendar date `YYYY-MM-DD` (years 1000–9999), checked without a library: the default of every date column. */
export function isoDate(text: string): string | undefined {
  const match = ISO_DATE.exec(text);
  if (match === null) return undefined;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  if (year < 1000 || month < 1 || month > 12 || day < 1 || day > (DAYS_IN_MONTH[month - 1] as number)) return undefined;
  if (month === 2 && day === 29 && !(year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0))) return undefined;
  return text;
}
