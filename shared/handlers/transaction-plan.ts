/** How transform groups a batch's chunks into SQL transactions. */
import type { ChunkLoadInput } from '../ports/etl-store.js';

/** Most rows loaded in one SQL transaction when the transaction rows setting is absent. */
export const DEFAULT_TRANSACTION_ROWS = 100_000;

/**
 * Splits a batch's chunks, in order, into transactions: each holds one dataset (its partials are
 * summed into one set of windows) and at most `maxRows` rows unless a single chunk is bigger. A run
 * of one dataset is cut into transactions of about equal size: 109,000 rows with a limit of 100,000
 * load as two of ~54,500, not 100,000 and a 9,000-row remainder, because a commit costs about the
 * same whatever its size (random keys dirty index pages all over). Returns indexes into `chunks`.
 */
export function planTransactions(chunks: readonly Pick<ChunkLoadInput, 'dataset' | 'facts'>[], maxRows: number): number[][] {
  const groups: number[][] = [];
  for (let start = 0; start < chunks.length;) {
    const dataset = chunks[start]!.dataset;
    let end = start;
    let runRows = 0;
    while (end < chunks.length && chunks[end]!.dataset === dataset) runRows += chunks[end++]!.facts.length;
    groups.push(...cutRun(chunks, start, end, runRows / Math.max(1, Math.ceil(runRows / maxRows)), maxRows));
    start = end;
  }
  return groups;
}

/** Chunks `start…end-1` (one dataset) in groups of about `target` rows, none above `maxRows` unless one chunk is. */
function cutRun(chunks: readonly Pick<ChunkLoadInput, 'facts'>[], start: number, end: number, target: number, maxRows: number): number[][] {
  const groups: number[][] = [];
  let group: number[] = [];
  let groupRows = 0;
  for (let index = start; index < end; index += 1) {
    const rows = chunks[index]!.facts.length;
    if (group.length > 0 && (groupRows >= target || groupRows + rows > maxRows)) {
      groups.push(group);
      group = [];
      groupRows = 0;
    }
    group.push(index);
    groupRows += rows;
  }
  if (group.length > 0) groups.push(group);
  return groups;
}
