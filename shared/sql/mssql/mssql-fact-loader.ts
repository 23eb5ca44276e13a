/**
 * `FactLoader` on Azure SQL: the chunk-load algorithm (`../chunk-load.ts`) with T-SQL statements,
 * in one transaction per call. A chunk's distinct facts travel as one table-valued parameter into
 * one set-based INSERT … WHERE NOT EXISTS whose OUTPUT lists the keys that were new; the outbox
 * travels as one JSON parameter. A transient failure rolls all of it back and retries the call.
 */
import type { Fact } from '../../datasets/dataset-declaration.js';
import type { ChunkLoadInput, ChunksLoadResult, OutboxBuilder, OutboxDraft } from '../../ports/etl-store.js';
import { factRowValues, type DatasetTables, type SqlValueType } from '../dataset-tables.js';
import { datasetStatements, CHUNK_LOADED, CLAIM_LEDGER, INSERT_OUTBOX } from './mssql-statements.js';
import { factsTable } from './mssql-session.js';
import { ChunkLoader, distinctByKey, loadChunksInTransaction, type ChunkLoadDialect, type ManifestDelta } from '../chunk-load.js';
import { runAsync } from '../sql-steps.js';
import type { TsqlRunner, TsqlSession } from './tsql-session.js';
import { encodeTuple } from '../../datasets/value-tuple.js';

/** One spelling of a key value for both the bound fact and the value OUTPUT returns. */
function canonicalKeyPart(type: SqlValueType, value: unknown): string {
  if (value === null || value === undefined) return '\u0000null';
  switch (type) {
    case 'timestamp':
      return (value instanceof Date ? value : new Date(String(value))).toISOString();
    case 'date':
      return (value instanceof Date ? value.toISOString() : String(value)).slice(0, 10);
    case 'boolean':
      return value === true || value === 1 ? '1' : '0';
    case 'integer':
    case 'number':
      return String(Number(value));
    default:
      return String(value);
  }
}

export class MssqlFactLoader extends ChunkLoader {
  constructor(
    private readonly session: TsqlSession,
    private readonly now: () => Date,
  ) {
    super();
  }

  protected inTransaction(what: string, inputs: readonly ChunkLoadInput[], buildOutbox: OutboxBuilder): Promise<ChunksLoadResult> {
    return this.session.transaction(what, (runner) =>
      runAsync(loadChunksInTransaction(new MssqlChunkStatements(runner), inputs, buildOutbox, this.now())),
    );
  }
}

/** T-SQL statements for the chunk-load algorithm, on the runner of one transaction. */
class MssqlChunkStatements implements ChunkLoadDialect {
  constructor(private readonly runner: TsqlRunner) {}

  async claimChunk(chunkId: string, at: Date): Promise<boolean> {
    return (await this.runner.run(CLAIM_LEDGER, { stage: 'transform', id: chunkId, at })).rowsAffected > 0;
  }

  /** A key twice in one chunk: the first row goes (the TVP's key would reject the second anyway). */
  async insertNewFacts(tables: DatasetTables, facts: readonly Fact[], newFacts: Fact[]): Promise<number> {
    const candidates = distinctByKey(facts);
    if (candidates.length === 0) return 0;
    const inserted = await this.runner.run(datasetStatements(tables).insertFacts, { rows: factsTable(tables, candidates) });
    if (inserted.rows.length === candidates.length) {
      newFacts.push(...candidates);
      return candidates.length;
    }
    const keyIndexes = tables.keyColumns.map((key) => tables.factColumns.indexOf(key));
    const spell = (values: readonly unknown[]) =>
      encodeTuple(tables.keyColumns.map((column, index) => canonicalKeyPart(column.type, values[index])));
    const fresh = new Set(inserted.rows.map((row) => spell(tables.keyColumns.map((column) => row[column.name]))));
    let count = 0;
    for (const fact of candidates) {
      const values = factRowValues(tables, fact);
      if (fresh.has(spell(keyIndexes.map((index) => values[index])))) {
        newFacts.push(fact);
        count += 1;
      }
    }
    return count;
  }

  async addToManifest(fileId: string, delta: ManifestDelta, at: Date): Promise<void> {
    await this.runner.run(CHUNK_LOADED, { ...delta, at, fileId });
  }

  async insertOutbox(drafts: readonly OutboxDraft[], at: Date): Promise<ReadonlySet<string>> {
    const written = await this.runner.run(INSERT_OUTBOX, { messages: JSON.stringify(drafts), at });
    return new Set(written.rows.map((row) => String(row.id)));
  }
}
