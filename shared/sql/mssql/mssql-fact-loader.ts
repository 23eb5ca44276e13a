/**
 * `FactLoader` on Azure SQL. One transaction per call (`loadChunks` puts several chunks in one, in
 * order); for each chunk: claim the chunk in the ledger, send the chunk's distinct facts as one
 * table-valued parameter and insert the new keys in one set-based INSERT … WHERE NOT EXISTS with
 * OUTPUT of the keys that were new; then update each file's manifest once (file-id order, so the
 * row lock is held only until the commit) and write the outbox of all the chunks' new facts as one
 * JSON parameter. A transient failure rolls all of it back and retries the call.
 */
import type { Fact } from '../../datasets/dataset-declaration.js';
import type { ChunkCounts, ChunkLoadInput, ChunkLoadResult, ChunksLoadResult, FactLoader, OutboxBuilder, OutboxMessage } from '../../ports/etl-store.js';
import { datasetTables, factRowValues, type DatasetTables, type SqlValueType } from '../dataset-tables.js';
import { datasetStatements, CHUNK_LOADED, CLAIM_LEDGER, INSERT_OUTBOX } from './mssql-statements.js';
import { factsTable } from './mssql-session.js';
import { assertOneDataset, distinctByKey, ManifestDeltas } from '../chunk-load-support.js';
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

export class MssqlFactLoader implements FactLoader {
  constructor(
    private readonly session: TsqlSession,
    private readonly now: () => Date,
  ) {}

  async loadChunk(input: ChunkLoadInput, buildOutbox: OutboxBuilder): Promise<ChunkLoadResult> {
    const { chunks, outbox } = await this.session.transaction(`loadChunk ${input.chunkId}`, (runner) => this.apply(runner, [input], buildOutbox));
    return { ...chunks[0]!, outbox };
  }

  async loadChunks(inputs: readonly ChunkLoadInput[], buildOutbox: OutboxBuilder): Promise<ChunksLoadResult> {
    if (inputs.length === 0) return { chunks: [], outbox: [] };
    assertOneDataset(inputs);
    return this.session.transaction(`loadChunks ${inputs[0]!.chunkId} (+${inputs.length - 1})`, (runner) => this.apply(runner, inputs, buildOutbox));
  }

  /** Inside the transaction: every chunk in order, then one outbox for the new facts of all of them. */
  private async apply(runner: TsqlRunner, inputs: readonly ChunkLoadInput[], buildOutbox: OutboxBuilder): Promise<ChunksLoadResult> {
    const at = this.now();
    const chunks: ChunkCounts[] = [];
    const newFacts: Fact[] = [];
    const manifests = new ManifestDeltas();
    let idPrefix: string | undefined;
    for (const input of inputs) {
      const claimed = await runner.run(CLAIM_LEDGER, { stage: 'transform', id: input.chunkId, at });
      if (claimed.rowsAffected === 0) {
        chunks.push({ alreadyApplied: true, loaded: 0, duplicates: 0 });
        continue;
      }
      idPrefix ??= input.chunkId;
      // A key twice in one chunk: the first row wins (the TVP's key would reject the second anyway).
      const candidates = distinctByKey(input.facts);
      const inserted = candidates.length === 0 ? [] : await this.insertNew(runner, datasetTables(input.dataset), candidates);
      newFacts.push(...inserted);
      const duplicates = input.facts.length - inserted.length;
      manifests.add(input.fileId, { loaded: inserted.length, duplicates, rejected: input.rejectedRows ?? 0 });
      chunks.push({ alreadyApplied: false, loaded: inserted.length, duplicates });
    }
    if (idPrefix === undefined) return { chunks, outbox: [] };
    for (const [fileId, delta] of manifests.ordered()) await runner.run(CHUNK_LOADED, { ...delta, at, fileId });

    // Two drafts with one id: the first is written, as a retried write of the same id is a no-op.
    const ids = new Set<string>();
    const drafts = buildOutbox(newFacts, idPrefix).filter((draft) => !ids.has(draft.id) && ids.add(draft.id) !== undefined);
    const outbox: OutboxMessage[] = [];
    if (drafts.length > 0) {
      const written = await runner.run(INSERT_OUTBOX, { messages: JSON.stringify(drafts), at });
      const writtenIds = new Set(written.rows.map((row) => String(row.id)));
      for (const draft of drafts) if (writtenIds.has(draft.id)) outbox.push({ ...draft, createdAt: at.toISOString() });
    }
    return { chunks, outbox };
  }

  private async insertNew(runner: TsqlRunner, tables: DatasetTables, facts: readonly Fact[]): Promise<Fact[]> {
    const inserted = await runner.run(datasetStatements(tables).insertFacts, { rows: factsTable(tables, facts) });
    if (inserted.rows.length === facts.length) return [...facts];
    const keyIndexes = tables.keyColumns.map((key) => tables.factColumns.indexOf(key));
    const spell = (values: readonly unknown[]) =>
      encodeTuple(tables.keyColumns.map((column, index) => canonicalKeyPart(column.type, values[index])));
    const fresh = new Set(inserted.rows.map((row) => spell(tables.keyColumns.map((column) => row[column.name]))));
    return facts.filter((fact) => {
      const values = factRowValues(tables, fact);
      return fresh.has(spell(keyIndexes.map((index) => values[index])));
    });
  }
}
