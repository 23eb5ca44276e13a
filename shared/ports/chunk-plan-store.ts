/**
 * How extract cut a file into chunks. Chunk ids are `<fileId>/<index>`, so a retried extract must
 * cut the file exactly as the first attempt did, or transform's ledger skips new chunks under ids it
 * already applied (docs/faults.md, "Chunk identity"). The first attempt pins its plan; a retry reads
 * and follows it. Adapter: `BlobChunkPlanStore`.
 */

export interface ChunkPlan {
  /** The chunk limits the first attempt used (`ETL_CHUNK_MAX_ROWS`, `ETL_CHUNK_MAX_BYTES`). */
  readonly maxRows: number;
  readonly maxBytes: number;
  /** Partitions the rows were routed over (a chunk holds the rows of one of them). */
  readonly partitionCount: number;
  /** The dataset declaration the rows were validated and ordered against. */
  readonly datasetVersion: number;
  /** SHA-256 of what in the declaration decides a row's fields and partition (see `declarationFingerprint`). */
  readonly declaration: string;
}

export interface ChunkPlanStore {
  /** Keep `plan` as the file's plan unless the file has one already; returns the plan that holds. */
  pin(file: { readonly dataset: string; readonly fileId: string }, plan: ChunkPlan): Promise<ChunkPlan>;
}
