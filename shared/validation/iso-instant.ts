/**
 * ISO-8601 instants, the one time format the pipeline accepts: a date, a time and a zone (`Z` or
 * `±hh:mm`). Stored as UTC `YYYY-MM-DDTHH:mm:ss.sssZ`; fractions beyond milliseconds are truncated.
 */

// Already canonical: the common case, checked without a regular expression or a Date.
const CANONICAL_LENGTH = 24;
const GENERAL = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(?:[Zz]|([+-])(\d{2}):?(\d{2}))$/;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  if (month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)) return 29;
  return DAYS_IN_MONTH[month - 1] as number;
}

function validParts(year: number, month: number, day: number, hour: number, minute: number, second: number): boolean {
  return (
    year >= 1000 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month) && hour <= 23 && minute <= 59 && second <= 59
  );
}

function digit(text: string, index: number): number {
  const code = text.charCodeAt(index) - 48;
  return code >= 0 && code <= 9 ? code : NaN;
}

function number2(text: string, index: number): number {
  return digit(text, index) * 10 + digit(text, index + 1);
}

function isCanonical(text: string): boolean {
  if (
    text.length !== CANONICAL_LENGTH ||
    text.charCodeAt(4) !== 45 || // -
    text.charCodeAt(7) !== 45 ||
    text.charCodeAt(10) !== 84 || // T
    text.charCodeAt(13) !== 58 || // :
    text.charCodeAt(16) !== 58 ||
    text.charCodeAt(19) !== 46 || // .
    text.charCodeAt(23) !== 90 // Z
  ) {
    return false;
  }
  const year = number2(text, 0) * 100 + number2(text, 2);
  const millis = digit(text, 20) + digit(text, 21) + digit(text, 22);
  // NaN compares false everywhere, so a non-digit fails validParts or the millis check.
  return millis >= 0 && validParts(year, number2(text, 5), number2(text, 8), number2(text, 11), number2(text, 14), number2(text, 17));
}

/** The canonical UTC text of an ISO-8601 instant, or undefined when `text` is not one. */
export function parseIsoInstant(text: string): string | undefined {
  if (isCanonical(text)) return text;
  const match = GENERAL.exec(text);
  if (match === null) return undefined;
  const [, y, mo, d, h, mi, s, fraction, sign, offsetHours, offsetMinutes] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = s === undefined ? 0 : Number(s);
  if (!validParts(year, month, day, hour, minute, second)) return undefined;
  const millis = fraction === undefined ? 0 : Number(fraction.slice(0, 3).padEnd(3, '0'));
  let offset = 0;
  if (sign !== undefined) {
    const oh = Number(offsetHours);
    const om = Number(offsetMinutes);
    if (oh > 23 || om > 59) return undefined;
    offset = (sign === '-' ? -1 : 1) * (oh * 60 + om) * 60_000;
  }
  const instant = new Date(Date.UTC(year, month - 1, day, hour, minute, second, millis) - offset).toISOString();
  // An offset can push a year-1000 or year-9999 instant out of the four-digit range.
  return instant.length === CANONICAL_LENGTH ? instant : undefined;
}
