/**
 * `WindowStore` on SQLite: each partial is merged into its window row exactly once, guarded by a
 * ledger row (stage `aggregate`) written in the same IMMEDIATE transaction.
 */
import type Database from 'better-sqlite3';
import type { DatasetDeclaration } from '../../datasets/dataset-declaration.js';
import type { WindowPartial } from '../../aggregates/window-partial.js';
import type { WindowRow, WindowStore } from '../../ports/etl-store.js';
import { EtlError } from '../../errors/etl-error.js';
import { datasetTables, windowPartialFromRow, windowRowValues, type DatasetTables } from '../dataset-tables.js';
import { sqliteCall, type Clock } from './sqlite-support.js';
import { SQLITE_CLAIM_LEDGER, sqliteDatasetStatements } from './sqlite-statements.js';

interface WindowStatements {
  readonly columns: readonly string[];
  readonly select: Database.Statement;
  readonly upsert: Database.Statement;
  readonly list: Database.Statement;
}

type Merge = (existing: WindowPartial, incoming: WindowPartial) => WindowPartial;
type PartialInput = readonly { readonly partialId: string; readonly partial: WindowPartial }[];

export class SqliteWindowStore implements WindowStore {
  private readonly statements = new WeakMap<DatasetTables, WindowStatements>();
  private readonly claim: Database.Statement;
  private readonly run: (tables: DatasetTables, partials: PartialInput, merge: Merge) => { applied: number; alreadyApplied: number };

  constructor(private readonly db: Database.Database, private readonly now: Clock) {
    this.claim = db.prepare(SQLITE_CLAIM_LEDGER);
    const transaction = db.transaction((tables: DatasetTables, partials: PartialInput, merge: Merge) =>
      this.apply(tables, partials, merge),
    );
    this.run = (tables, partials, merge) => transaction.immediate(tables, partials, merge);
  }

  mergePartials(dataset: DatasetDeclaration, partials: PartialInput, merge: Merge): Promise<{ applied: number; alreadyApplied: number }> {
    return sqliteCall('mergePartials', () => this.run(datasetTables(dataset), partials, merge));
  }

  listWindows(dataset: DatasetDeclaration, options: { from?: string; to?: string; limit?: number } = {}): Promise<readonly WindowRow[]> {
    return sqliteCall('listWindows', () => {
      const tables = datasetTables(dataset);
      const rows = this.statementsFor(tables).list.all({
        from: options.from ?? null,
        to: options.to ?? null,
        limit: options.limit ?? -1,
      }) as Record<string, unknown>[];
      return rows.map((row) => ({ ...windowPartialFromRow(tables, row), updatedAt: String(row.updated_at) }));
    });
  }

  private apply(tables: DatasetTables, partials: PartialInput, merge: Merge): { applied: number; alreadyApplied: number } {
    const at = this.now().toISOString();
    const statements = this.statementsFor(tables);
    let applied = 0;
    let alreadyApplied = 0;
    // Claim every partial first, fold the claimed ones per window in memory, then read and write
    // each window row once: a batch often carries many partials of the same few windows, and the
    // row's sketches are (de)serialized once per window instead of once per partial.
    const folded = new Map<string, WindowPartial>();
    for (const { partialId, partial } of partials) {
      if (partial.dataset !== tables.dataset.name || partial.windowMinutes !== tables.dataset.windowMinutes) {
        throw new EtlError('INTERNAL', `partial ${partialId} belongs to ${partial.dataset}/${partial.windowMinutes}m, not ${tables.windowsTable}`);
      }
      if (this.claim.run({ stage: 'aggregate', id: partialId, at }).changes === 0) {
        alreadyApplied += 1;
        continue;
      }
      const windowKey = `${partial.windowStart}\u0000${partial.dimensionKey}`;
      const sofar = folded.get(windowKey);
      folded.set(windowKey, sofar ? merge(sofar, partial) : partial);
      applied += 1;
    }
    for (const partial of folded.values()) {
      const existing = statements.select.get(partial.windowStart, partial.dimensionKey) as Record<string, unknown> | undefined;
      const merged = existing ? merge(windowPartialFromRow(tables, existing), partial) : partial;
      const values: Record<string, string | number | null> = { ...windowRowValues(tables, merged), updated_at: at };
      statements.upsert.run(statements.columns.map((column) => values[column] ?? null));
    }
    return { applied, alreadyApplied };
  }

  private statementsFor(tables: DatasetTables): WindowStatements {
    let statements = this.statements.get(tables);
    if (!statements) {
      const text = sqliteDatasetStatements(tables);
      statements = {
        columns: text.windowColumns,
        select: this.db.prepare(text.selectWindow),
        upsert: this.db.prepare(text.upsertWindow),
        list: this.db.prepare(text.listWindows),
      };
      this.statements.set(tables, statements);
    }
    return statements;
  }
}
