/**
 * Shared by both fact loaders. `ManifestDeltas`: what one load adds to the manifests of its files,
 * summed per file, written at the end of the transaction, one UPDATE per file in file-id order. On
 * Azure SQL a manifest row lock is then held from that UPDATE to the commit instead of across the
 * fact inserts, and two loads take manifest locks in the same order. (Ledger claims and key-range
 * locks of the inserts are still taken in list order and held to the commit.)
 */
import { EtlError } from '../errors/etl-error.js';
import type { ChunkLoadInput } from '../ports/etl-store.js';

/** `loadChunks` sums partials over its chunks, which only makes sense within one dataset. */
export function assertOneDataset(inputs: readonly Pick<ChunkLoadInput, 'dataset' | 'chunkId'>[]): void {
  const first = inputs[0]?.dataset;
  const other = inputs.find((input) => input.dataset.name !== first?.name);
  if (other) {
    throw new EtlError('INTERNAL', `loadChunks takes chunks of one dataset: ${other.chunkId} is ${other.dataset.name}, not ${first?.name}`);
  }
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
