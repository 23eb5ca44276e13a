/**
 * `FactLoader` on SQLite: the chunk-load algorithm (`../chunk-load.ts`) with SQLite's statements,
 * in one IMMEDIATE transaction per call (the write lock is taken up front, so two processes never
 * deadlock upgrading a read lock), run synchronously inside it.
 *
 * Why several chunks per transaction: in WAL mode a commit appends every page the transaction
 * dirtied, and random uuid keys dirty about one index page per row, so fewer, bigger commits load
 * several times faster (docs/benchmarks.md, "SQL load").
 */
import type Database from 'better-sqlite3';
import type { Fact } from '../../datasets/dataset-declaration.js';
import type { ChunkLoadInput, ChunksLoadResult, OutboxBuilder, OutboxDraft } from '../../ports/etl-store.js';
import { derivedFactValue, type DatasetTables } from '../dataset-tables.js';
import { ChunkLoader, loadChunksInTransaction, type ChunkLoadDialect, type ManifestDelta } from '../chunk-load.js';
import { runSync } from '../sql-steps.js';
import { toSqliteValue, type Clock, type SqliteCall } from './sqlite-support.js';
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

export class SqliteFactLoader extends ChunkLoader {
  private readonly dialect: ChunkLoadDialect;
  private readonly run: (inputs: readonly ChunkLoadInput[], buildOutbox: OutboxBuilder) => ChunksLoadResult;

  constructor(
    db: Database.Database,
    now: Clock,
    private readonly call: SqliteCall,
  ) {
    super();
    this.dialect = new SqliteChunkStatements(db);
    const transaction = db.transaction((inputs: readonly ChunkLoadInput[], buildOutbox: OutboxBuilder) =>
      runSync(loadChunksInTransaction(this.dialect, inputs, buildOutbox, now())),
    );
    this.run = (inputs, buildOutbox) => transaction.immediate(inputs, buildOutbox);
  }

  protected inTransaction(what: string, inputs: readonly ChunkLoadInput[], buildOutbox: OutboxBuilder): Promise<ChunksLoadResult> {
    return this.call(what, () => this.run(inputs, buildOutbox));
  }
}

/** SQLite's statements for the chunk-load algorithm, prepared once per connection (facts: per dataset). */
class SqliteChunkStatements implements ChunkLoadDialect {
  private readonly inserts = new WeakMap<DatasetTables, InsertPlan>();
  private readonly claim: Database.Statement;
  private readonly manifest: Database.Statement;
  private readonly outboxInsert: Database.Statement;

  constructor(private readonly db: Database.Database) {
    this.claim = db.prepare(SQLITE_CLAIM_LEDGER);
    this.manifest = db.prepare(SQLITE_CHUNK_LOADED);
    this.outboxInsert = db.prepare(SQLITE_INSERT_OUTBOX);
  }

  claimChunk(chunkId: string, at: Date): boolean {
    return this.claim.run({ stage: 'transform', id: chunkId, at: at.toISOString() }).changes > 0;
  }

  /**
   * One prepared single-row INSERT per fact, in order: it beats multi-row INSERT … RETURNING
   * (docs/benchmarks.md, "SQL load"), because better-sqlite3 binds a short row with no JS round trip
   * for RETURNING rows, and `changes` says exactly whether the key was new. A key twice in one
   * chunk: the key's unique index keeps the first row by itself (key columns are NOT NULL), so no
   * de-duplication pass first: it cost a twentieth of the whole load (docs/benchmarks.md, "SQL load").
   */
  insertNewFacts(tables: DatasetTables, facts: readonly Fact[], newFacts: Fact[]): number {
    const { insert, row } = this.insertFor(tables);
    const before = newFacts.length;
    for (const fact of facts) {
      if (insert.run(row(fact)).changes === 1) newFacts.push(fact);
    }
    return newFacts.length - before;
  }

  addToManifest(fileId: string, delta: ManifestDelta, at: Date): void {
    this.manifest.run({ ...delta, at: at.toISOString(), fileId });
  }

  insertOutbox(drafts: readonly OutboxDraft[], at: Date): ReadonlySet<string> {
    const createdAt = at.toISOString();
    const written = new Set<string>();
    for (const draft of drafts) {
      const { id, destination, partitionKey, body } = draft;
      if (this.outboxInsert.run({ id, destination, partitionKey, body, at: createdAt }).changes === 1) written.add(id);
    }
    return written;
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
