/**
 * The one text encoding of a tuple of values, used wherever several values must become one text
 * that two different tuples never share: a row's key (composite keys, and the hash of a row that
 * has no key), and a window's dimension key. A tuple of one value is that value; a tuple of several
 * is each value as `<length>:<text>`, so no value can be mistaken for a separator, whatever
 * characters it holds (a plain separator, U+001F, let `a\u001fb|c` and `a|b\u001fc` collide).
 * Null is the empty text: validation never yields an empty value (an empty field is null), so the
 * two cannot be confused.
 */
import type { TypedValue } from './dataset-declaration.js';

/** A typed value as tuple text: null as '', booleans as true/false, numbers as JavaScript prints them. */
export function valueText(value: TypedValue | undefined): string {
  return value === null || value === undefined ? '' : String(value);
}

/** The encoding of `parts` (texts, in a fixed order). */
export function encodeTuple(parts: readonly string[]): string {
  if (parts.length === 1) return parts[0] as string;
  let text = '';
  for (const part of parts) text += `${part.length}:${part}`;
  return text;
}

/** The longest encoding of tuples whose parts are at most `lengths` long. */
export function encodedTupleLength(lengths: readonly number[]): number {
  if (lengths.length === 1) return lengths[0] as number;
  return lengths.reduce((sum, length) => sum + String(length).length + 1 + length, 0);
}
