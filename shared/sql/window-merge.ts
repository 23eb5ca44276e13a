/**
 * The window-merge algorithm, once for both dialects (`WindowStore.mergePartials` in
 * `shared/ports/etl-store.ts`). Inside one transaction: claim every partial id in the ledger (stage
 * `aggregate`; an id already there, or repeated in the batch, is `alreadyApplied`), fold the claimed
 * partials per window in memory (merge is associative), then read and write each touched window
 * once, in key order. A batch often carries many partials of the same few windows: a window's row
 * and sketches are read and written once per batch instead of once per partial, and two batches
 * touching the same windows lock them in the same order (Azure SQL reads them under an update lock).
 */
import type { WindowPartial } from '../aggregates/window-partial.js';
import { EtlError } from '../errors/etl-error.js';
import type { DatasetTables } from './dataset-tables.js';
import { step, type Algorithm, type Step } from './sql-steps.js';

export type Merge = (existing: WindowPartial, incoming: WindowPartial) => WindowPartial;
export type PartialInput = readonly { readonly partialId: string; readonly partial: WindowPartial }[];

/** The statements a dialect runs for the window-merge algorithm, inside its transaction. */
export interface WindowMergeDialect {
  /** Claims distinct partial ids in the ledger; returns those that were not there yet. */
  claimPartials(ids: readonly string[], at: Date): Step<ReadonlySet<string>>;
  /** The stored window row of this window and dimension key, if there is one. */
  readWindow(tables: DatasetTables, windowStart: string, dimensionKey: string): Step<WindowPartial | undefined>;
  /** Writes a window row: inserts it, or replaces the one `readWindow` found (`existed`); `at` is its `updated_at`. */
  writeWindow(tables: DatasetTables, window: WindowPartial, write: { readonly existed: boolean; readonly at: Date }): Step<void>;
}

/** Throws unless every partial belongs to the dataset and window size of `tables`. */
export function assertPartialsOf(tables: DatasetTables, partials: PartialInput): void {
  for (const { partialId, partial } of partials) {
    if (partial.dataset !== tables.dataset.name || partial.windowMinutes !== tables.dataset.windowMinutes) {
      throw new EtlError(
        'INTERNAL',
        `partial ${partialId} belongs to ${partial.dataset}/${partial.windowMinutes}m, not ${tables.windowsTable}`,
      );
    }
  }
}

/** The algorithm; run it inside one transaction with `runSync` or `runAsync`. */
export function* mergePartialsInTransaction(
  dialect: WindowMergeDialect,
  tables: DatasetTables,
  partials: PartialInput,
  merge: Merge,
  at: Date,
): Algorithm<{ applied: number; alreadyApplied: number }> {
  const ids = [...new Set(partials.map((entry) => entry.partialId))];
  const claimed = new Set(ids.length === 0 ? [] : yield* step(dialect.claimPartials(ids, at)));
  const folded = new Map<string, WindowPartial>();
  let applied = 0;
  for (const { partialId, partial } of partials) {
    if (!claimed.delete(partialId)) continue; // already in the ledger, or a repeat within this batch
    const key = `${partial.windowStart}\u0000${partial.dimensionKey}`;
    const sofar = folded.get(key);
    folded.set(key, sofar ? merge(sofar, partial) : partial);
    applied += 1;
  }
  const windows = [...folded.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [, partial] of windows) {
    const existing = yield* step(dialect.readWindow(tables, partial.windowStart, partial.dimensionKey));
    yield* step(dialect.writeWindow(tables, existing ? merge(existing, partial) : partial, { existed: existing !== undefined, at }));
  }
  return { applied, alreadyApplied: partials.length - applied };
}
