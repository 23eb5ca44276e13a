/**
 * `WindowStore` on SQLite: the window-merge algorithm (`../window-merge.ts`) with SQLite's
 * statements, in one IMMEDIATE transaction per call, run synchronously inside it. Each partial is
 * merged into its window row exactly once, guarded by a ledger row (stage `aggregate`).
 */
import type Database from 'better-sqlite3';
import type { DatasetDeclaration } from '../../datasets/dataset-declaration.js';
import type { WindowPartial } from '../../aggregates/window-partial.js';
import type { WindowRow, WindowStore } from '../../ports/etl-store.js';
import { datasetTables, windowPartialFromRow, windowRowValues, type DatasetTables } from '../dataset-tables.js';
import type { Clock, SqliteCall } from './sqlite-support.js';
import { runSync } from '../sql-steps.js';
import { assertPartialsOf, mergePartialsInTransaction, type Merge, type PartialInput, type WindowMergeDialect } from '../window-merge.js';
import { SQLITE_CLAIM_LEDGER, sqliteDatasetStatements } from './sqlite-statements.js';

interface WindowStatements {
  readonly columns: readonly string[];
  readonly select: Database.Statement;
  readonly upsert: Database.Statement;
  readonly list: Database.Statement;
}

export class SqliteWindowStore implements WindowStore {
  private readonly dialect: SqliteWindowStatements;
  private readonly run: (tables: DatasetTables, partials: PartialInput, merge: Merge) => { applied: number; alreadyApplied: number };

  constructor(
    db: Database.Database,
    now: Clock,
    private readonly call: SqliteCall,
  ) {
    this.dialect = new SqliteWindowStatements(db);
    const transaction = db.transaction((tables: DatasetTables, partials: PartialInput, merge: Merge) =>
      runSync(mergePartialsInTransaction(this.dialect, tables, partials, merge, now())),
    );
    this.run = (tables, partials, merge) => transaction.immediate(tables, partials, merge);
  }

  mergePartials(dataset: DatasetDeclaration, partials: PartialInput, merge: Merge): Promise<{ applied: number; alreadyApplied: number }> {
    return this.call('mergePartials', () => {
      const tables = datasetTables(dataset);
      assertPartialsOf(tables, partials);
      return this.run(tables, partials, merge);
    });
  }

  listWindows(dataset: DatasetDeclaration, options: { from?: string; to?: string; limit?: number } = {}): Promise<readonly WindowRow[]> {
    return this.call('listWindows', () => {
      const tables = datasetTables(dataset);
      const rows = this.dialect.statementsFor(tables).list.all({
        from: options.from ?? null,
        to: options.to ?? null,
        limit: options.limit ?? -1,
      }) as Record<string, unknown>[];
      return rows.map((row) => ({ ...windowPartialFromRow(tables, row), updatedAt: String(row.updated_at) }));
    });
  }
}

/** SQLite's statements for the window-merge algorithm, prepared once per connection (windows: per dataset). */
class SqliteWindowStatements implements WindowMergeDialect {
  private readonly statements = new WeakMap<DatasetTables, WindowStatements>();
  private readonly claim: Database.Statement;

  constructor(private readonly db: Database.Database) {
    this.claim = db.prepare(SQLITE_CLAIM_LEDGER);
  }

  claimPartials(ids: readonly string[], at: Date): ReadonlySet<string> {
    const appliedAt = at.toISOString();
    const claimed = new Set<string>();
    for (const id of ids) if (this.claim.run({ stage: 'aggregate', id, at: appliedAt }).changes > 0) claimed.add(id);
    return claimed;
  }

  readWindow(tables: DatasetTables, windowStart: string, dimensionKey: string): WindowPartial | undefined {
    const row = this.statementsFor(tables).select.get(windowStart, dimensionKey) as Record<string, unknown> | undefined;
    return row ? windowPartialFromRow(tables, row) : undefined;
  }

  /** One upsert whether or not the row existed. */
  writeWindow(tables: DatasetTables, window: WindowPartial, { at }: { existed: boolean; at: Date }): void {
    const statements = this.statementsFor(tables);
    const values: Record<string, string | number | null> = { ...windowRowValues(tables, window), updated_at: at.toISOString() };
    statements.upsert.run(statements.columns.map((column) => values[column] ?? null));
  }

  statementsFor(tables: DatasetTables): WindowStatements {
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
