/**
 * One algorithm, two drivers: better-sqlite3 runs a transaction synchronously (nothing else may run
 * inside it, so it cannot await), mssql runs one asynchronously. An algorithm shared by both is a
 * generator that hands each database step's result (a value, or a promise of one) to its driver and
 * gets the value back: `const claimed = yield* step(dialect.claim(id))`. `runSync` drives it with
 * plain values inside a SQLite transaction; `runAsync` awaits each step inside a T-SQL one.
 */

/** What a dialect's step returns: SQLite's a value, Azure SQL's a promise of one. */
export type Step<T> = T | Promise<T>;

/** An algorithm written once for both drivers. */
export type Algorithm<Result> = Generator<unknown, Result, unknown>;

/** Inside an algorithm: the value of one database step, however the driver produced it. */
export function* step<T>(result: Step<T>): Generator<Step<T>, T, unknown> {
  return (yield result) as T;
}

/** Runs an algorithm whose steps return plain values (SQLite), to its end, synchronously. */
export function runSync<Result>(algorithm: Algorithm<Result>): Result {
  let next = algorithm.next();
  while (!next.done) {
    if (next.value instanceof Promise) throw new Error('a synchronous SQL step returned a promise');
    next = algorithm.next(next.value);
  }
  return next.value;
}

/** Runs an algorithm whose steps may return promises (Azure SQL), awaiting each in turn. */
export async function runAsync<Result>(algorithm: Algorithm<Result>): Promise<Result> {
  let next = algorithm.next();
  while (!next.done) {
    let value: unknown;
    try {
      value = await next.value;
    } catch (error) {
      next = algorithm.throw(error);
      continue;
    }
    next = algorithm.next(value);
  }
  return next.value;
}
