/**
 * `FactLoader` on SQLite. One IMMEDIATE transaction per chunk (the write lock is taken up front, so
 * two processes never deadlock upgrading a read lock): claim the chunk in the ledger, insert the
 * facts in multi-row statements that skip existing keys and return the new ones, update the
 * manifest, write the outbox.
 */
import type Database from 'better-sqlite3';
import type { Fact } from '../../datasets/dataset-declaration.js';
import type { ChunkLoadInput, ChunkLoadResult, FactLoader, OutboxDraft, OutboxMessage } from '../../ports/etl-store.js';
import { datasetTables, factRowValues, type DatasetTables } from '../dataset-tables.js';
import { quoteSqlite as q } from '../sql-identifier.js';
import { sqliteCall, toSqliteValue, type Clock } from './sqlite-support.js';

/** SQLite allows 32766 bound parameters per statement; rows per statement stay well below that. */
const MAX_PARAMETERS = 32_000;
const MAX_ROWS_PER_STATEMENT = 500;

interface InsertStatements {
  readonly rowsPerStatement: number;
  readonly byRowCount: Map<number, Database.Statement>;
}

export class SqliteFactLoader implements FactLoader {
  private readonly inserts = new WeakMap<DatasetTables, InsertStatements>();
  private readonly claim: Database.Statement;
  private readonly manifest: Database.Statement;
  private readonly outboxInsert: Database.Statement;
  private readonly run: (input: ChunkLoadInput, buildOutbox: (newFacts: readonly Fact[]) => readonly OutboxDraft[]) => ChunkLoadResult;

  constructor(private readonly db: Database.Database, private readonly now: Clock) {
    this.claim = db.prepare(
      `INSERT INTO etl_ledger (stage, id, applied_at) VALUES ('transform', ?, ?) ON CONFLICT (stage, id) DO NOTHING`,
    );
    // Completes the file when this is its last chunk and extract has finished (old values on the right).
    this.manifest = db.prepare(
      `UPDATE etl_files SET loaded_rows = loaded_rows + @loaded, duplicate_rows = duplicate_rows + @duplicates,
         transform_rejected_rows = transform_rejected_rows + @rejected, chunks_loaded = chunks_loaded + 1, updated_at = @at,
         state = CASE WHEN state = 'loading' AND extracted_at IS NOT NULL AND chunks_loaded + 1 >= chunks THEN 'complete' ELSE state END,
         completed_at = CASE WHEN state = 'loading' AND extracted_at IS NOT NULL AND chunks_loaded + 1 >= chunks THEN @at ELSE completed_at END
       WHERE file_id = @fileId`,
    );
    this.outboxInsert = db.prepare(
      `INSERT INTO etl_outbox (id, destination, partition_key, body, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
    );
    const transaction = db.transaction(
      (input: ChunkLoadInput, buildOutbox: (newFacts: readonly Fact[]) => readonly OutboxDraft[]) => this.apply(input, buildOutbox),
    );
    this.run = (input, buildOutbox) => transaction.immediate(input, buildOutbox);
  }

  loadChunk(input: ChunkLoadInput, buildOutbox: (newFacts: readonly Fact[]) => readonly OutboxDraft[]): Promise<ChunkLoadResult> {
    return sqliteCall(`loadChunk ${input.chunkId}`, () => this.run(input, buildOutbox));
  }

  private apply(input: ChunkLoadInput, buildOutbox: (newFacts: readonly Fact[]) => readonly OutboxDraft[]): ChunkLoadResult {
    const at = this.now().toISOString();
    if (this.claim.run(input.chunkId, at).changes === 0) {
      return { alreadyApplied: true, loaded: 0, duplicates: 0, outbox: [] };
    }
    const tables = datasetTables(input.dataset);
    // A key twice in one chunk: the first row wins, the rest count as duplicates.
    const unique = new Map<string, Fact>();
    for (const fact of input.facts) if (!unique.has(fact.key)) unique.set(fact.key, fact);
    const newFacts = this.insertNew(tables, [...unique.values()]);
    const duplicates = input.facts.length - newFacts.length;
    this.manifest.run({
      loaded: newFacts.length,
      duplicates,
      rejected: input.rejectedRows ?? 0,
      at,
      fileId: input.fileId,
    });
    const outbox: OutboxMessage[] = [];
    for (const draft of buildOutbox(newFacts)) {
      if (this.outboxInsert.run(draft.id, draft.destination, draft.partitionKey, draft.body, at).changes === 1) {
        outbox.push({ ...draft, createdAt: at });
      }
    }
    return { alreadyApplied: false, loaded: newFacts.length, duplicates, outbox };
  }

  /** Inserts facts with distinct keys; returns those whose key was new, in input order. */
  private insertNew(tables: DatasetTables, facts: readonly Fact[]): Fact[] {
    const statements = this.statementsFor(tables);
    const keyIndexes = tables.keyColumns.map((key) => tables.factColumns.indexOf(key));
    const newFacts: Fact[] = [];
    for (let start = 0; start < facts.length; start += statements.rowsPerStatement) {
      const batch = facts.slice(start, start + statements.rowsPerStatement);
      const parameters: (string | number | null)[] = [];
      const keys: string[] = [];
      for (const fact of batch) {
        const values = factRowValues(tables, fact).map(toSqliteValue);
        for (const value of values) parameters.push(value);
        keys.push(JSON.stringify(keyIndexes.map((index) => values[index])));
      }
      const returned = this.statementFor(tables, statements, batch.length).all(parameters) as unknown[][];
      if (returned.length === batch.length) {
        newFacts.push(...batch);
      } else if (returned.length > 0) {
        // RETURNING gives the stored key values; match them to the facts as bound.
        const inserted = new Set(returned.map((row) => JSON.stringify(row)));
        batch.forEach((fact, index) => {
          if (inserted.has(keys[index] as string)) newFacts.push(fact);
        });
      }
    }
    return newFacts;
  }

  private statementsFor(tables: DatasetTables): InsertStatements {
    let statements = this.inserts.get(tables);
    if (!statements) {
      const rowsPerStatement = Math.min(MAX_ROWS_PER_STATEMENT, Math.floor(MAX_PARAMETERS / tables.factColumns.length));
      statements = { rowsPerStatement, byRowCount: new Map() };
      this.inserts.set(tables, statements);
    }
    return statements;
  }

  private statementFor(tables: DatasetTables, statements: InsertStatements, rows: number): Database.Statement {
    let statement = statements.byRowCount.get(rows);
    if (!statement) {
      const columns = tables.factColumns.map((column) => q(column.name)).join(', ');
      const row = `(${tables.factColumns.map(() => '?').join(', ')})`;
      const keys = tables.keyColumns.map((column) => q(column.name)).join(', ');
      statement = this.db
        .prepare(
          `INSERT INTO ${q(tables.factsTable)} (${columns}) VALUES ${Array.from({ length: rows }, () => row).join(', ')}
           ON CONFLICT (${keys}) DO NOTHING RETURNING ${keys}`,
        )
        .raw(true);
      statements.byRowCount.set(rows, statement);
    }
    return statement;
  }
}
