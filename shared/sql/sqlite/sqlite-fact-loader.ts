/**
 * `FactLoader` on SQLite. One IMMEDIATE transaction per call (the write lock is taken up front, so
 * two processes never deadlock upgrading a read lock); for each chunk in it: claim the chunk in the
 * ledger and insert the facts skipping existing keys; then update each file's manifest once and
 * write one outbox for the new facts of all the chunks.
 *
 * Why several chunks per transaction: in WAL mode a commit appends every page the transaction
 * dirtied, and random uuid keys dirty about one index page per row, so fewer, bigger commits load
 * several times faster (docs/benchmarks.md, "SQL load").
 */
import type Database from 'better-sqlite3';
import type { Fact } from '../../datasets/dataset-declaration.js';
import type { ChunkCounts, ChunkLoadInput, ChunkLoadResult, ChunksLoadResult, FactLoader, OutboxBuilder, OutboxMessage } from '../../ports/etl-store.js';
import { datasetTables, derivedFactValue, type DatasetTables } from '../dataset-tables.js';
import { assertOneDataset, ManifestDeltas } from '../chunk-load-support.js';
import { sqliteCall, toSqliteValue, type Clock } from './sqlite-support.js';
import { SQLITE_CHUNK_LOADED, SQLITE_CLAIM_LEDGER, SQLITE_INSERT_OUTBOX, sqliteDatasetStatements } from './sqlite-statements.js';

interface InsertPlan {
  readonly insert: Database.Statement;
  /** The values to bind for one fact, in column order; the same array each call, so bind it before the next. */
  readonly row: (fact: Fact) => (string | number | null)[];
}

/**
 * One accessor per column, decided once per dataset: the hot loop then fills each row in a single
 * pass, about half the cost of `factRowValues` plus a conversion pass (docs/benchmarks.md, "SQL
 * load"): small next to SQLite's own work, but it is the innermost loop.
 */
function sqliteRowBuilder(tables: DatasetTables): (fact: Fact) => (string | number | null)[] {
  const accessors = tables.factColumns.map((column): ((fact: Fact) => string | number | null) => {
    const name = column.name;
    return derivedFactValue(name) ?? ((fact) => toSqliteValue(fact.values[name]));
  });
  // One array, refilled per row: better-sqlite3 copies the values when it binds them, and a fresh
  // 14-element array per fact was a good part of transform's garbage.
  const row: (string | number | null)[] = new Array<string | number | null>(accessors.length).fill(null);
  return (fact) => {
    for (let index = 0; index < accessors.length; index += 1) row[index] = accessors[index]!(fact);
    return row;
  };
}

export class SqliteFactLoader implements FactLoader {
  private readonly inserts = new WeakMap<DatasetTables, InsertPlan>();
  private readonly claim: Database.Statement;
  private readonly manifest: Database.Statement;
  private readonly outboxInsert: Database.Statement;
  private readonly run: (inputs: readonly ChunkLoadInput[], buildOutbox: OutboxBuilder) => ChunksLoadResult;

  constructor(private readonly db: Database.Database, private readonly now: Clock) {
    this.claim = db.prepare(SQLITE_CLAIM_LEDGER);
    this.manifest = db.prepare(SQLITE_CHUNK_LOADED);
    this.outboxInsert = db.prepare(SQLITE_INSERT_OUTBOX);
    const transaction = db.transaction((inputs: readonly ChunkLoadInput[], buildOutbox: OutboxBuilder) => this.apply(inputs, buildOutbox));
    this.run = (inputs, buildOutbox) => transaction.immediate(inputs, buildOutbox);
  }

  async loadChunk(input: ChunkLoadInput, buildOutbox: OutboxBuilder): Promise<ChunkLoadResult> {
    const { chunks, outbox } = await sqliteCall(`loadChunk ${input.chunkId}`, () => this.run([input], buildOutbox));
    return { ...chunks[0]!, outbox };
  }

  async loadChunks(inputs: readonly ChunkLoadInput[], buildOutbox: OutboxBuilder): Promise<ChunksLoadResult> {
    if (inputs.length === 0) return { chunks: [], outbox: [] };
    assertOneDataset(inputs);
    return sqliteCall(`loadChunks ${inputs[0]!.chunkId} (+${inputs.length - 1})`, () => this.run(inputs, buildOutbox));
  }

  /** Inside the transaction: every chunk in order, then one outbox for the new facts of all of them. */
  private apply(inputs: readonly ChunkLoadInput[], buildOutbox: OutboxBuilder): ChunksLoadResult {
    const at = this.now().toISOString();
    const chunks: ChunkCounts[] = [];
    const newFacts: Fact[] = [];
    const manifests = new ManifestDeltas();
    let idPrefix: string | undefined;
    for (const input of inputs) {
      if (this.claim.run({ stage: 'transform', id: input.chunkId, at }).changes === 0) {
        chunks.push({ alreadyApplied: true, loaded: 0, duplicates: 0 });
        continue;
      }
      idPrefix ??= input.chunkId;
      const tables = datasetTables(input.dataset);
      // A key twice in one chunk: the first row wins, the rest count as duplicates. The key's unique
      // index does that by itself, row by row (key columns are NOT NULL), so no de-duplication pass
      // first: it cost a twentieth of the whole load (docs/benchmarks.md, "SQL load").
      const loaded = this.insertNew(tables, input.facts, newFacts);
      const duplicates = input.facts.length - loaded;
      manifests.add(input.fileId, { loaded, duplicates, rejected: input.rejectedRows ?? 0 });
      chunks.push({ alreadyApplied: false, loaded, duplicates });
    }
    for (const [fileId, delta] of manifests.ordered()) this.manifest.run({ ...delta, at, fileId });
    const outbox: OutboxMessage[] = [];
    if (idPrefix !== undefined) {
      for (const draft of buildOutbox(newFacts, idPrefix)) {
        if (this.outboxInsert.run({ ...draft, at }).changes === 1) {
          outbox.push({ ...draft, createdAt: at });
        }
      }
    }
    return { chunks, outbox };
  }

  /**
   * Inserts facts in order; appends those whose key was new to `newFacts`, in input order, and
   * returns how many there were. One prepared
   * single-row INSERT per fact: it beats multi-row INSERT … RETURNING (docs/benchmarks.md, "SQL
   * load"), because better-sqlite3 binds a short row with no JS round trip for RETURNING rows, and
   * `changes` says exactly whether the key was new.
   */
  private insertNew(tables: DatasetTables, facts: readonly Fact[], newFacts: Fact[]): number {
    const { insert, row } = this.insertFor(tables);
    const before = newFacts.length;
    for (const fact of facts) {
      if (insert.run(row(fact)).changes === 1) newFacts.push(fact);
    }
    return newFacts.length - before;
  }

  private insertFor(tables: DatasetTables): InsertPlan {
    let plan = this.inserts.get(tables);
    if (!plan) {
      const insert = this.db.prepare(sqliteDatasetStatements(tables).insertFact);
      plan = { insert, row: sqliteRowBuilder(tables) };
      this.inserts.set(tables, plan);
    }
    return plan;
  }
}
