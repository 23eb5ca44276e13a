/**
 * What both fact loaders do the same way inside a chunk-load transaction, whatever the database:
 * - `assertOneDataset`: `loadChunks` sums partials over its chunks, so they must share a dataset;
 * - `distinctByKey`: a key twice in one chunk loads once, the first row winning (the T-SQL load
 *   needs it; on SQLite the key's unique index does the same row by row);
 * - `ManifestDeltas`: what one load adds to the manifests of its files, summed per file, written at
 *   the end of the transaction, one UPDATE per file in file-id order. On Azure SQL a manifest row
 *   lock is then held from that UPDATE to the commit instead of across the fact inserts, and two
 *   loads take manifest locks in the same order. (Ledger claims and key-range locks of the inserts
 *   are still taken in list order and held to the commit.)
 */
import type { Fact } from '../datasets/dataset-declaration.js';
import { EtlError } from '../errors/etl-error.js';
import type { ChunkLoadInput } from '../ports/etl-store.js';

export function assertOneDataset(inputs: readonly Pick<ChunkLoadInput, 'dataset' | 'chunkId'>[]): void {
  const first = inputs[0]?.dataset;
  const other = inputs.find((input) => input.dataset.name !== first?.name);
  if (other) {
    throw new EtlError('INTERNAL', `loadChunks takes chunks of one dataset: ${other.chunkId} is ${other.dataset.name}, not ${first?.name}`);
  }
}

/** The facts of a chunk with each key once, the first row of a key winning, in input order. */
export function distinctByKey(facts: readonly Fact[]): Fact[] {
  const unique = new Map<string, Fact>();
  for (const fact of facts) if (!unique.has(fact.key)) unique.set(fact.key, fact);
  return [...unique.values()];
}

export interface ManifestDelta {
  loaded: number;
  duplicates: number;
  rejected: number;
  chunks: number;
}

export class ManifestDeltas {
  readonly #byFile = new Map<string, ManifestDelta>();

  /** Counts one applied chunk of `fileId`. */
  add(fileId: string, chunk: { loaded: number; duplicates: number; rejected: number }): void {
    const delta = this.#byFile.get(fileId) ?? { loaded: 0, duplicates: 0, rejected: 0, chunks: 0 };
    delta.loaded += chunk.loaded;
    delta.duplicates += chunk.duplicates;
    delta.rejected += chunk.rejected;
    delta.chunks += 1;
    this.#byFile.set(fileId, delta);
  }

  /** Per file, ordered by file id (code-unit order, as the BIN2 collation and SQLite compare). */
  ordered(): [fileId: string, delta: ManifestDelta][] {
    return [...this.#byFile].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }
}
