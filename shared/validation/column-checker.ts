/**
 * One checker per declared column, compiled once per dataset: text in, typed value or a rejection
 * out. Checkers run on every field of every row, so they allocate only when a value is bad.
 */
import type { ColumnDeclaration, TypedValue } from '../datasets/dataset-declaration.js';
import { DEFAULT_STRING_MAX_LENGTH } from '../datasets/value-text-length.js';
import { parseIsoInstant } from './iso-instant.js';
import { dateReader, isoDate, timestampReader } from './date-time-formats.js';

/** Why one field is bad; the message already names the column. */
export class Rejection {
  constructor(readonly reason: string) {}
}

export type ColumnChecker = (text: string) => TypedValue | Rejection;

const INTEGER = /^[+-]?\d+$/;
const TRUE_WORDS: ReadonlySet<string> = new Set(['true', '1', 'yes']);
const FALSE_WORDS: ReadonlySet<string> = new Set(['false', '0', 'no']);
const SHOWN_TEXT_LENGTH = 64;

const UUID_LENGTH = 36;

/**
 * The lower-case form of a canonical 8-4-4-4-12 hex UUID, or undefined. Hand-written because it
 * runs on every row and is several times faster than a regular expression here.
 */
function canonicalUuid(text: string): string | undefined {
  if (text.length !== UUID_LENGTH) return undefined;
  let upper = false;
  for (let i = 0; i < UUID_LENGTH; i++) {
    const code = text.charCodeAt(i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (code !== 45) return undefined; // '-'
    } else if ((code >= 48 && code <= 57) || (code >= 97 && code <= 102)) {
      // 0-9, a-f
    } else if (code >= 65 && code <= 70) {
      upper = true; // A-F
    } else {
      return undefined;
    }
  }
  return upper ? text.toLowerCase() : text;
}

/**
 * A finite number in plain decimal notation (sign, digits, point, exponent), or undefined.
 * Number() alone also accepts '0x1f', '0b1', '0o7' and 'Infinity'; those are refused here.
 */
function decimalNumber(text: string): number | undefined {
  const value = Number(text);
  if (!Number.isFinite(value)) return undefined;
  // Number() takes radix prefixes only unsigned and right at the start: '0x…', '0b…', '0o…'.
  if (text.length > 2 && text.charCodeAt(0) === 48) {
    const prefix = text.charCodeAt(1) | 32; // lower-cased
    if (prefix === 120 || prefix === 98 || prefix === 111) return undefined; // x, b, o
  }
  return value;
}

/** Trims only when needed: most fields have no surrounding whitespace. */
function trimmed(text: string): string {
  const length = text.length;
  if (length === 0) return text;
  const first = text.charCodeAt(0);
  const last = text.charCodeAt(length - 1);
  return first > 32 && first < 127 && last > 32 && last < 127 ? text : text.trim();
}

/** The value as shown in a reason: quoted, and cut short so a huge field cannot bloat a rejection. */
export function quote(text: string): string {
  return text.length > SHOWN_TEXT_LENGTH ? `'${text.slice(0, SHOWN_TEXT_LENGTH)}…'` : `'${text}'`;
}

/** Control characters other than tab, line feed and carriage return: never part of text a person would call valid. */
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/**
 * Number text with declared separators as plain decimal text (`1.234,5` → `1234.5` for `,` and
 * `.`), or undefined when the grouping is wrong: groups after the first must have three digits.
 */
function withSeparators(decimal: string, thousands: string | undefined): (text: string) => string | undefined {
  const group =
    thousands === undefined
      ? undefined
      : new RegExp(`^[-+]?\\d{1,3}(?:${thousands.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\d{3})+(?:$|[${decimal === '.' ? '.' : ','}eE])`);
  return (text) => {
    let plain = text;
    if (thousands !== undefined && plain.includes(thousands)) {
      if (!group?.test(plain)) return undefined;
      plain = plain.split(thousands).join('');
    }
    if (decimal === ',') {
      if (plain.includes('.')) return undefined;
      plain = plain.replace(',', '.');
    }
    return plain;
  };
}

function rangeChecker(column: ColumnDeclaration, kind: string, parsePlain: (text: string) => number | undefined): ColumnChecker {
  const { name, min, max } = column;
  const custom = column.decimalSeparator !== undefined || column.thousandsSeparator !== undefined;
  const normalise = custom ? withSeparators(column.decimalSeparator ?? '.', column.thousandsSeparator) : undefined;
  const parse =
    normalise === undefined
      ? parsePlain
      : (text: string) => {
          const plain = normalise(text);
          return plain === undefined ? undefined : parsePlain(plain);
        };
  return (text) => {
    const value = parse(text);
    if (value === undefined) return new Rejection(`${name}: ${quote(text)} is not ${kind}`);
    if (min !== undefined && value < min) return new Rejection(`${name}: ${value} is below the minimum ${min}`);
    if (max !== undefined && value > max) return new Rejection(`${name}: ${value} is above the maximum ${max}`);
    return value;
  };
}

/** Checks a non-empty, trimmed value. */
function valueChecker(column: ColumnDeclaration): ColumnChecker {
  const { name } = column;
  switch (column.type) {
    case 'string':
      return stringChecker(column);
    case 'uuid':
      return (text) => canonicalUuid(text) ?? new Rejection(`${name}: ${quote(text)} is not a UUID`);
    case 'integer':
      return rangeChecker(column, 'a safe integer', (text) => {
        if (!INTEGER.test(text)) return undefined;
        const value = Number(text);
        return Number.isSafeInteger(value) ? value : undefined;
      });
    case 'number':
      return rangeChecker(column, 'a finite number', decimalNumber);
    case 'boolean':
      return booleanChecker(column);
    case 'timestamp':
      return timestampChecker(column);
    case 'date': {
      const read = column.formats === undefined ? isoDate : dateReader(column.formats);
      const expected = column.formats === undefined ? 'an ISO-8601 date (yyyy-MM-dd)' : `a date in ${column.formats.join(' or ')}`;
      return (text) => read(text) ?? new Rejection(`${name}: ${quote(text)} is not ${expected}`);
    }
    case 'enum': {
      const values = column.values ?? [];
      const allowed: ReadonlySet<string> = new Set(values);
      const list = values.join(', ');
      return (text) => (allowed.has(text) ? text : new Rejection(`${name}: ${quote(text)} is not one of ${list}`));
    }
  }
}

/** A string: at most its maximum length, no control character, and its pattern when it declares one. */
function stringChecker(column: ColumnDeclaration): ColumnChecker {
  const { name } = column;
  const maxLength = column.maxLength ?? DEFAULT_STRING_MAX_LENGTH;
  const pattern = column.pattern === undefined ? undefined : new RegExp(`^(?:${column.pattern})$`, 'u');
  return (text) => {
    if (text.length > maxLength) return new Rejection(`${name}: ${text.length} characters, longer than ${maxLength}`);
    const control = CONTROL.exec(text);
    if (control !== null)
      return new Rejection(
        `${name}: holds the control character U+${control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')} at position ${control.index + 1}`,
      );
    if (pattern !== undefined && !pattern.test(text)) return new Rejection(`${name}: ${quote(text)} does not match ${column.pattern}`);
    return text;
  };
}

/** A boolean: one of the declared true or false words, case-insensitive (true/false/1/0/yes/no when none are declared). */
function booleanChecker(column: ColumnDeclaration): ColumnChecker {
  const { name } = column;
  const trueWords: ReadonlySet<string> =
    column.trueValues === undefined ? TRUE_WORDS : new Set(column.trueValues.map((word) => word.toLowerCase()));
  const falseWords: ReadonlySet<string> =
    column.falseValues === undefined ? FALSE_WORDS : new Set(column.falseValues.map((word) => word.toLowerCase()));
  const words = column.trueValues === undefined ? 'true/false/1/0/yes/no' : [...trueWords, ...falseWords].join('/');
  return (text) => {
    const word = text.toLowerCase();
    if (trueWords.has(word)) return true;
    if (falseWords.has(word)) return false;
    return new Rejection(`${name}: ${quote(text)} is not a boolean (${words})`);
  };
}

/** A timestamp: an ISO-8601 instant with a zone, or in the declared formats and time zone. */
function timestampChecker(column: ColumnDeclaration): ColumnChecker {
  const { name } = column;
  if (column.formats === undefined && column.timeZone === undefined) {
    return (text) => parseIsoInstant(text) ?? new Rejection(`${name}: ${quote(text)} is not an ISO-8601 instant with a zone`);
  }
  const read = timestampReader(column.formats, column.timeZone);
  const expected =
    column.formats === undefined
      ? `an ISO-8601 date and time (zone ${column.timeZone} when none is written)`
      : `a timestamp in ${column.formats.join(' or ')}`;
  // The canonical form first: it needs no library and is what transform sees from most files.
  return (text) =>
    (column.formats === undefined ? parseIsoInstant(text) : undefined) ??
    read(text) ??
    new Rejection(`${name}: ${quote(text)} is not ${expected}`);
}

/** The full checker of a column: trims, handles empty fields (required or NULL), then types. */
export function compileColumnChecker(column: ColumnDeclaration): ColumnChecker {
  const check = valueChecker(column);
  const missing: TypedValue | Rejection = column.required === true ? new Rejection(`${column.name}: required, but empty`) : null;
  return (text) => {
    const value = trimmed(text);
    return value === '' ? missing : check(value);
  };
}
