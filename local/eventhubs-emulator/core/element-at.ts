/**
 * Element `index` of an array the caller's own invariant says holds it (a position found by a
 * bounded search, a partition index taken modulo the count). The type checker reads every index as
 * possibly missing; this says so once, and a broken invariant fails here instead of flowing on as
 * `undefined` or `NaN`.
 */
export function elementAt<T>(items: ArrayLike<T>, index: number): T {
  if (!(index >= 0 && index < items.length)) throw new RangeError(`index ${index} is outside 0..${items.length - 1}`);
  return items[index] as T;
}
