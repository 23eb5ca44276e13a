/**
 * The SQL ports of the pipeline. One `EtlStore` per process bundles them over one connection pool;
 * adapters: `SqliteEtlStore` (local) and `MssqlEtlStore` (Azure SQL), chosen by configuration.
 *
 * Every write that must happen exactly once is guarded by a ledger row written in the same
 * transaction, so redelivered events change nothing.
 */
import type { DatasetDeclaration, Fact } from '../datasets/dataset-declaration.js';
import type { WindowPartial } from '../aggregates/window-partial.js';
import type { FileManifest, FileState } from './file-manifest.js';

/** A message written to the outbox in the same transaction as the facts it summarises. */
export interface OutboxDraft {
  /** Unique and deterministic (e.g. `<chunkId>/<part>/<dimensionKey>`), so a retried write is a no-op. */
  readonly id: string;
  /** Logical destination, e.g. `aggregates`: the message is published to that destination's hub, and to no other. */
  readonly destination: string;
  readonly partitionKey: string;
  /** JSON text of the event body. */
  readonly body: string;
}

export interface OutboxMessage extends OutboxDraft {
  readonly createdAt: string;
}

export interface ChunkLoadInput {
  readonly dataset: DatasetDeclaration;
  readonly fileId: string;
  /** Deterministic id of the chunk: `<fileId>/<chunkIndex>`. The ledger key for stage `transform`. */
  readonly chunkId: string;
  readonly facts: readonly Fact[];
}

/** What loading one chunk did to the facts. */
export interface ChunkCounts {
  /** True when the ledger already had this chunk: nothing was written, counters unchanged. */
  readonly alreadyApplied: boolean;
  /** Facts inserted (new keys). */
  readonly loaded: number;
  /** Facts whose key was already in the facts table, or twice in this chunk. */
  readonly duplicates: number;
}

export interface ChunkLoadResult extends ChunkCounts {
  /** Outbox messages written by this call (empty when already applied). */
  readonly outbox: readonly OutboxMessage[];
}

/** `loadChunks`: per-chunk counts in list order, and the outbox messages of the whole load. */
export interface ChunksLoadResult {
  readonly chunks: readonly ChunkCounts[];
  readonly outbox: readonly OutboxMessage[];
}

/**
 * Turns the new facts of a load into outbox messages. `idPrefix` is the id of the first chunk the
 * load applied: a chunk applies once, so ids built on it (`<idPrefix>/<part>/<dimensionKey>`) are unique
 * and the same on a retry of the same load.
 */
export type OutboxBuilder = (newFacts: readonly Fact[], idPrefix: string) => readonly OutboxDraft[];

/** Facts plus the chunk ledger and outbox, written in one transaction. */
export interface FactLoader {
  /**
   * In one transaction: unless the ledger holds `chunkId`, insert the facts whose key is new
   * (facts with the same key twice within the chunk count once), add `loaded`/`duplicates` and
   * one chunk to the file manifest (completing it when every chunk is in), write the outbox
   * messages `buildOutbox(newFacts, chunkId)` returns, and write the ledger row.
   */
  loadChunk(input: ChunkLoadInput, buildOutbox: OutboxBuilder): Promise<ChunkLoadResult>;
  /**
   * `loadChunk` for several chunks in one transaction, in list order: every chunk is applied or
   * none is. A chunk the ledger already holds, or one listed twice, is already applied; a key new in
   * an earlier chunk of the list is a duplicate in a later one. The outbox is built once, from the
   * new facts of every applied chunk (in list order), so partials are summed over the whole load
   * instead of per chunk; it is not called when no chunk applied. One commit for many chunks is what
   * makes the load fast: a commit writes every index page the chunks touched, and random keys touch
   * a page per row.
   */
  loadChunks(inputs: readonly ChunkLoadInput[], buildOutbox: OutboxBuilder): Promise<ChunksLoadResult>;
}

export interface OutboxStore {
  /** Oldest unpublished messages first. */
  listUnpublished(limit: number): Promise<readonly OutboxMessage[]>;
  markPublished(ids: readonly string[]): Promise<void>;
}

export interface ManifestStore {
  /**
   * Record that extract started on a file. If the manifest exists it is returned unchanged
   * (`created: false`) so the caller can skip a file already extracted.
   */
  beginFile(input: {
    fileId: string;
    dataset: string;
    blobName: string;
    blobEtag: string;
    receivedAt: string;
  }): Promise<{ created: boolean; manifest: FileManifest }>;
  /** Set (not add) extract's counts and move the file to `loading`, or `complete` if all chunks are in. */
  finishExtract(
    fileId: string,
    counts: { totalRows: number; validRows: number; rejectedRows: number; chunks: number },
    at: string,
  ): Promise<FileManifest>;
  /** Mark a file failed with a reason (e.g. wrong header); counts stay as they are. */
  failFile(fileId: string, error: string, at: string): Promise<void>;
  /**
   * Set `updatedAt` of a file still `extracting`: extract's heartbeat while it reads the file. With
   * `staleBefore`, only when `updatedAt` is older than that, so that of two sweeps one claims a stalled
   * file. True when the row changed.
   */
  touchExtracting(fileId: string, at: string, options?: { staleBefore?: string }): Promise<boolean>;
  /** Add `delta` to the dead-lettered chunk count (−1 when a dead letter is replayed). */
  addDeadLetteredChunks(fileId: string, delta: number, at: string): Promise<void>;
  getFile(fileId: string): Promise<FileManifest | undefined>;
  /**
   * Newest received first, at most `limit` (default 1,000). `updatedBefore` keeps files whose
   * `updatedAt` is older: filtered in SQL, so the extract sweep sees stalled files however many are fresh.
   */
  listFiles(options?: { state?: FileState; dataset?: string; updatedBefore?: string; limit?: number }): Promise<readonly FileManifest[]>;
}

/** One window row as stored: the merge of every partial applied to it. */
export interface WindowRow extends WindowPartial {
  readonly updatedAt: string;
}

export interface WindowStore {
  /**
   * In one transaction: for each partial whose id is not in the ledger (stage `aggregate`), merge
   * it into its window row (`merge(existing, partial)`, or insert it) and write the ledger row.
   * Returns how many were applied and how many were already in the ledger.
   */
  mergePartials(
    dataset: DatasetDeclaration,
    partials: readonly { readonly partialId: string; readonly partial: WindowPartial }[],
    merge: (existing: WindowPartial, incoming: WindowPartial) => WindowPartial,
  ): Promise<{ applied: number; alreadyApplied: number }>;
  listWindows(dataset: DatasetDeclaration, options?: { from?: string; to?: string; limit?: number }): Promise<readonly WindowRow[]>;
}

export interface DailyPercentileRow {
  /** `YYYY-MM-DD` (UTC). */
  readonly day: string;
  readonly dimension: string;
  /** Distinct events that day for this dimension value. */
  readonly events: number;
  readonly mean: number;
  /** Population standard deviation. */
  readonly stddev: number;
  /** Events left after removing values beyond `sigma` standard deviations from the mean. */
  readonly kept: number;
  /** Nearest-rank percentile of the kept values (T-SQL PERCENTILE_DISC semantics). */
  readonly percentile: number;
}

export interface ReportQuery {
  /** The dataset's daily report (its `report` declaration), ordered by day then dimension. */
  dailyPercentile(dataset: DatasetDeclaration, options?: { from?: string; to?: string }): Promise<readonly DailyPercentileRow[]>;
}

/** Exact aggregates straight from the facts table, for checks and tests (invariant 3). */
export interface FactQuery {
  countFacts(dataset: DatasetDeclaration, options?: { fileId?: string }): Promise<number>;
  /** Count/sum/min/max per window and dimension key, computed by GROUP BY over facts. */
  groupByWindow(dataset: DatasetDeclaration): Promise<
    readonly {
      windowStart: string;
      dimensionKey: string;
      count: number;
      measures: Record<string, { sum: number; min: number; max: number }>;
    }[]
  >;
  /** Values of one measure (for exact quantiles in tests and benchmarks). */
  measureValues(dataset: DatasetDeclaration, measure: string, options?: { windowStart?: string; dimensionKey?: string }): Promise<number[]>;
}

export interface EtlStore {
  readonly facts: FactLoader;
  readonly outbox: OutboxStore;
  readonly manifest: ManifestStore;
  readonly windows: WindowStore;
  readonly report: ReportQuery;
  readonly query: FactQuery;
  /** Create or upgrade the schema (idempotent), including the tables of these datasets. */
  migrate(datasets: readonly DatasetDeclaration[]): Promise<void>;
  close(): Promise<void>;
}
