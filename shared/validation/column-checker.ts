/**
 * One checker per declared column, compiled once per dataset: text in, typed value or a rejection
 * out. Checkers run on every field of every row, so they allocate only when a value is bad.
 */
import type { ColumnDeclaration, TypedValue } from '../datasets/dataset-declaration.js';
import { parseIsoInstant } from './iso-instant.js';

/** Why one field is bad; the message already names the column. */
export class Rejection {
  constructor(readonly reason: string) {}
}

export type ColumnChecker = (text: string) => TypedValue | Rejection;

const DEFAULT_MAX_LENGTH = 256;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const LOWER_CASE_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const INTEGER = /^[+-]?\d+$/;
// Plain decimal notation only: Number() alone would also accept '0x1f', 'Infinity' and ''.
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const TRUE_WORDS: ReadonlySet<string> = new Set(['true', '1', 'yes']);
const FALSE_WORDS: ReadonlySet<string> = new Set(['false', '0', 'no']);
const SHOWN_TEXT_LENGTH = 64;

/** The value as shown in a reason: quoted, and cut short so a huge field cannot bloat a rejection. */
export function quote(text: string): string {
  return text.length > SHOWN_TEXT_LENGTH ? `'${text.slice(0, SHOWN_TEXT_LENGTH)}…'` : `'${text}'`;
}

function rangeChecker(column: ColumnDeclaration, kind: string, parse: (text: string) => number | undefined): ColumnChecker {
  const { name, min, max } = column;
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
    case 'string': {
      const maxLength = column.maxLength ?? DEFAULT_MAX_LENGTH;
      const pattern = column.pattern === undefined ? undefined : new RegExp(`^(?:${column.pattern})$`, 'u');
      return (text) => {
        if (text.length > maxLength) return new Rejection(`${name}: ${text.length} characters, longer than ${maxLength}`);
        if (pattern !== undefined && !pattern.test(text)) return new Rejection(`${name}: ${quote(text)} does not match ${column.pattern}`);
        return text;
      };
    }
    case 'uuid':
      return (text) => {
        if (LOWER_CASE_UUID.test(text)) return text;
        if (UUID.test(text)) return text.toLowerCase();
        return new Rejection(`${name}: ${quote(text)} is not a UUID`);
      };
    case 'integer':
      return rangeChecker(column, 'a safe integer', (text) => {
        if (!INTEGER.test(text)) return undefined;
        const value = Number(text);
        return Number.isSafeInteger(value) ? value : undefined;
      });
    case 'number':
      return rangeChecker(column, 'a finite number', (text) => {
        if (!DECIMAL.test(text)) return undefined;
        const value = Number(text);
        return Number.isFinite(value) ? value : undefined;
      });
    case 'boolean':
      return (text) => {
        const word = text.toLowerCase();
        if (TRUE_WORDS.has(word)) return true;
        if (FALSE_WORDS.has(word)) return false;
        return new Rejection(`${name}: ${quote(text)} is not a boolean (true/false/1/0/yes/no)`);
      };
    case 'timestamp':
      return (text) => parseIsoInstant(text) ?? new Rejection(`${name}: ${quote(text)} is not an ISO-8601 instant with a zone`);
    case 'enum': {
      const values = column.values ?? [];
      const allowed: ReadonlySet<string> = new Set(values);
      const list = values.join(', ');
      return (text) => (allowed.has(text) ? text : new Rejection(`${name}: ${quote(text)} is not one of ${list}`));
    }
  }
}

/** The full checker of a column: trims, handles empty fields (required or NULL), then types. */
export function compileColumnChecker(column: ColumnDeclaration): ColumnChecker {
  const check = valueChecker(column);
  const missing: TypedValue | Rejection = column.required === true ? new Rejection(`${column.name}: required, but empty`) : null;
  return (text) => {
    const trimmed = text.trim();
    return trimmed === '' ? missing : check(trimmed);
  };
}
