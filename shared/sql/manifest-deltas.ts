/**
 * What one load adds to the manifests of its files, summed per file. Both fact loaders write these
 * at the end of the transaction, one UPDATE per file in file-id order: the row lock a manifest
 * update takes is then held only until the commit, not while the facts go in, so transform
 * instances loading chunks of one big file do not queue behind each other (Azure SQL), and two
 * loads always lock files in the same order.
 */
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
