/**
 * The chunk-load algorithm, once for both dialects (`FactLoader.loadChunks` in
 * `shared/ports/etl-store.ts`). Inside one transaction, for each chunk in list order: claim the
 * chunk in the ledger (a chunk already there is `alreadyApplied` and writes nothing), insert the
 * facts whose key is new; then add each file's counts to its manifest, once per file in file-id
 * order, after every fact is in; then build the outbox from the new facts of every applied chunk
 * and write it. A dialect supplies the statements (`ChunkLoadDialect`) and runs the algorithm
 * inside its transaction (`sql-steps.ts`).
 *
 * Why the manifests come last, in file-id order: on Azure SQL a manifest row lock is then held from
 * that UPDATE to the commit instead of across the fact inserts, and two loads take manifest locks
 * in the same order. (Ledger claims and key-range locks of the inserts are still taken in list
 * order and held to the commit.)
 */
import type { Fact } from '../datasets/dataset-declaration.js';
import { EtlError } from '../errors/etl-error.js';
import type {
  ChunkCounts,
  ChunkLoadInput,
  ChunkLoadResult,
  ChunksLoadResult,
  FactLoader,
  OutboxBuilder,
  OutboxDraft,
  OutboxMessage,
} from '../ports/etl-store.js';
import { datasetTables, type DatasetTables } from './dataset-tables.js';
import { step, type Algorithm, type Step } from './sql-steps.js';

/** `loadChunks` sums partials over its chunks, so they must share a dataset. */
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
  chunks: number;
}

/** What one load adds to the manifests of its files, summed per file. */
export class ManifestDeltas {
  readonly #byFile = new Map<string, ManifestDelta>();

  /** Counts one applied chunk of `fileId`. */
  add(fileId: string, chunk: { loaded: number; duplicates: number }): void {
    const delta = this.#byFile.get(fileId) ?? { loaded: 0, duplicates: 0, chunks: 0 };
    delta.loaded += chunk.loaded;
    delta.duplicates += chunk.duplicates;
    delta.chunks += 1;
    this.#byFile.set(fileId, delta);
  }

  /** Per file, ordered by file id (code-unit order, as the BIN2 collation and SQLite compare). */
  ordered(): [fileId: string, delta: ManifestDelta][] {
    return [...this.#byFile].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }
}

/** The statements a dialect runs for the chunk-load algorithm, inside its transaction. */
export interface ChunkLoadDialect {
  /** Claims the chunk in the ledger (stage `transform`); false when it was there already. */
  claimChunk(chunkId: string, at: Date): Step<boolean>;
  /**
   * Inserts the facts whose key is new, in order, the first row of a key winning; appends those
   * facts to `newFacts` in input order and returns how many there were.
   */
  insertNewFacts(tables: DatasetTables, facts: readonly Fact[], newFacts: Fact[]): Step<number>;
  /** Adds one file's counts to its manifest, completing the file when its last chunk is in. */
  addToManifest(fileId: string, delta: ManifestDelta, at: Date): Step<void>;
  /** Writes drafts with distinct ids, skipping ids already in the outbox; returns the ids written. */
  insertOutbox(drafts: readonly OutboxDraft[], at: Date): Step<ReadonlySet<string>>;
}

/** The algorithm; run it inside one transaction with `runSync` or `runAsync`. */
export function* loadChunksInTransaction(
  dialect: ChunkLoadDialect,
  inputs: readonly ChunkLoadInput[],
  buildOutbox: OutboxBuilder,
  at: Date,
): Algorithm<ChunksLoadResult> {
  const chunks: ChunkCounts[] = [];
  const newFacts: Fact[] = [];
  const manifests = new ManifestDeltas();
  let idPrefix: string | undefined;
  for (const input of inputs) {
    if (!(yield* step(dialect.claimChunk(input.chunkId, at)))) {
      chunks.push({ alreadyApplied: true, loaded: 0, duplicates: 0 });
      continue;
    }
    idPrefix ??= input.chunkId;
    const loaded = yield* step(dialect.insertNewFacts(datasetTables(input.dataset), input.facts, newFacts));
    const duplicates = input.facts.length - loaded;
    manifests.add(input.fileId, { loaded, duplicates });
    chunks.push({ alreadyApplied: false, loaded, duplicates });
  }
  if (idPrefix === undefined) return { chunks, outbox: [] };
  for (const [fileId, delta] of manifests.ordered()) yield* step(dialect.addToManifest(fileId, delta, at));

  // Two drafts with one id: the first is written, as a retried write of the same id is a no-op.
  const ids = new Set<string>();
  const drafts = buildOutbox(newFacts, idPrefix).filter((draft) => !ids.has(draft.id) && ids.add(draft.id) !== undefined);
  if (drafts.length === 0) return { chunks, outbox: [] };
  const written = yield* step(dialect.insertOutbox(drafts, at));
  const createdAt = at.toISOString();
  const outbox: OutboxMessage[] = [];
  for (const draft of drafts) if (written.has(draft.id)) outbox.push({ ...draft, createdAt });
  return { chunks, outbox };
}

/** `FactLoader` for a dialect that runs `loadChunksInTransaction` in one transaction of its own. */
export abstract class ChunkLoader implements FactLoader {
  /** Runs the algorithm for `inputs` in one transaction; `what` names the call in errors. */
  protected abstract inTransaction(what: string, inputs: readonly ChunkLoadInput[], buildOutbox: OutboxBuilder): Promise<ChunksLoadResult>;

  async loadChunk(input: ChunkLoadInput, buildOutbox: OutboxBuilder): Promise<ChunkLoadResult> {
    const { chunks, outbox } = await this.inTransaction(`loadChunk ${input.chunkId}`, [input], buildOutbox);
    return { ...chunks[0]!, outbox };
  }

  async loadChunks(inputs: readonly ChunkLoadInput[], buildOutbox: OutboxBuilder): Promise<ChunksLoadResult> {
    if (inputs.length === 0) return { chunks: [], outbox: [] };
    assertOneDataset(inputs);
    return this.inTransaction(`loadChunks ${inputs[0]!.chunkId} (+${inputs.length - 1})`, inputs, buildOutbox);
  }
}
