/**
 * Window aggregates as plain data. A partial is what one chunk of new facts contributes to one
 * window and dimension value; window rows in SQL hold the merge of all partials. `merge` is
 * associative and commutative (tests prove it), so partials can be applied in any order.
 */

/** Count/sum/min/max of one measure, plus the sum of squares so that stddev can be derived. */
export interface MeasureSummary {
  readonly count: number;
  readonly sum: number;
  readonly sumOfSquares: number;
  readonly min: number;
  readonly max: number;
}

/**
 * A serialized DDSketch-style relative-error quantile sketch: logarithmic buckets of base
 * gamma = (1 + alpha) / (1 - alpha); a value v > 0 goes into bucket ceil(log_gamma(v)).
 * `buckets` maps bucket index to count; values ≤ 0 are counted in `zeroCount`.
 */
export interface SerializedSketch {
  readonly alpha: number;
  readonly zeroCount: number;
  readonly count: number;
  readonly min: number;
  readonly max: number;
  readonly buckets: Readonly<Record<string, number>>;
}

export interface WindowPartial {
  readonly dataset: string;
  /** Window start, UTC ISO string. */
  readonly windowStart: string;
  readonly windowMinutes: number;
  /** Dimension column → value (values as text; null becomes ''). */
  readonly dimensions: Readonly<Record<string, string>>;
  /**
   * Stable text of `dimensions`: the values in the dataset's `dimensions` order as one tuple text
   * (shared/datasets/value-tuple.ts; null as ''). Part of the window's SQL key and the `aggregates`
   * partition key.
   */
  readonly dimensionKey: string;
  readonly count: number;
  readonly measures: Readonly<Record<string, MeasureSummary>>;
  readonly sketches: Readonly<Record<string, SerializedSketch>>;
}
