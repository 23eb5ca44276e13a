/**
 * What both dialects' `FactQuery` do with the rows their statements return, written once. Rows come
 * in the column order of the statements (the same in both catalogues): the dialect only reads them.
 */
import type { DatasetDeclaration } from '../datasets/dataset-declaration.js';
import type { FactQuery } from '../ports/etl-store.js';
import { dimensionKeyOf, isoText, type DatasetTables } from './dataset-tables.js';

export type WindowGroup = Awaited<ReturnType<FactQuery['groupByWindow']>>[number];

/**
 * Groups of `groupByWindow` rows — `window_start`, each dimension, the count, then per measure its
 * sum, min and max — summed per window and dimension key, ordered by both. Dimension values that
 * spell the same key (NULL and '') are one window, as in the partials.
 */
export function windowGroupsFromRows(tables: DatasetTables, rows: readonly (readonly unknown[])[]): WindowGroup[] {
  const dataset: DatasetDeclaration = tables.dataset;
  const dimensions = tables.dimensionColumns.length;
  const groups = new Map<
    string,
    { windowStart: string; dimensionKey: string; count: number; measures: Record<string, { sum: number; min: number; max: number }> }
  >();
  for (const row of rows) {
    const windowStart = isoText(row[0]);
    const dimensionKey = dimensionKeyOf(tables, row.slice(1, 1 + dimensions));
    const id = `${windowStart}\u0000${dimensionKey}`;
    const group = groups.get(id) ?? { windowStart, dimensionKey, count: 0, measures: {} };
    group.count += Number(row[1 + dimensions]);
    dataset.measures.forEach((measure, index) => {
      const base = 2 + dimensions + index * 3;
      const before = group.measures[measure] ?? { sum: 0, min: Number.POSITIVE_INFINITY, max: Number.NEGATIVE_INFINITY };
      const min = row[base + 1];
      const max = row[base + 2];
      group.measures[measure] = {
        sum: before.sum + Number(row[base] ?? 0),
        min: min == null ? before.min : Math.min(before.min, Number(min)),
        max: max == null ? before.max : Math.max(before.max, Number(max)),
      };
    });
    groups.set(id, group);
  }
  return [...groups.values()].sort((a, b) =>
    a.windowStart === b.windowStart ? (a.dimensionKey < b.dimensionKey ? -1 : 1) : a.windowStart < b.windowStart ? -1 : 1,
  );
}

/** The measure of `measureValues` rows — the measure, then each dimension — of one dimension key, or all. */
export function measureValuesFromRows(
  tables: DatasetTables,
  rows: readonly (readonly unknown[])[],
  dimensionKey: string | undefined,
): number[] {
  return rows
    .filter(
      (row) => dimensionKey === undefined || dimensionKeyOf(tables, row.slice(1, 1 + tables.dimensionColumns.length)) === dimensionKey,
    )
    .map((row) => Number(row[0]));
}
