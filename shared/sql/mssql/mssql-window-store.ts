/**
 * `WindowStore` on Azure SQL: the window-merge algorithm (`../window-merge.ts`) with T-SQL
 * statements, in one transaction per call. Each partial is merged into its window row exactly once,
 * guarded by a ledger row (stage `aggregate`); one statement claims every partial id of the batch
 * (round trips per window, not per partial); window rows are read WITH (UPDLOCK, HOLDLOCK) so
 * concurrent merges into one window queue instead of losing an update.
 */
import type { DatasetDeclaration } from '../../datasets/dataset-declaration.js';
import type { WindowPartial } from '../../aggregates/window-partial.js';
import type { WindowRow, WindowStore } from '../../ports/etl-store.js';
import { datasetTables, isoText, windowPartialFromRow, windowRowValues, type DatasetTables } from '../dataset-tables.js';
import { CLAIM_LEDGER_MANY, datasetStatements } from './mssql-statements.js';
import type { TsqlRunner, TsqlSession } from './tsql-session.js';
import { runAsync } from '../sql-steps.js';
import { assertPartialsOf, mergePartialsInTransaction, type Merge, type PartialInput, type WindowMergeDialect } from '../window-merge.js';

export class MssqlWindowStore implements WindowStore {
  constructor(
    private readonly session: TsqlSession,
    private readonly now: () => Date,
  ) {}

  mergePartials(dataset: DatasetDeclaration, partials: PartialInput, merge: Merge): Promise<{ applied: number; alreadyApplied: number }> {
    const tables = datasetTables(dataset);
    assertPartialsOf(tables, partials);
    return this.session.transaction('mergePartials', (runner) =>
      runAsync(mergePartialsInTransaction(new MssqlWindowStatements(runner), tables, partials, merge, this.now())),
    );
  }

  async listWindows(
    dataset: DatasetDeclaration,
    options: { from?: string; to?: string; limit?: number } = {},
  ): Promise<readonly WindowRow[]> {
    const tables = datasetTables(dataset);
    const result = await this.session.query('listWindows', datasetStatements(tables).listWindows, {
      limit: options.limit ?? Number.MAX_SAFE_INTEGER,
      from: options.from ?? null,
      to: options.to ?? null,
    });
    return result.rows.map((row) => ({ ...windowPartialFromRow(tables, row), updatedAt: isoText(row.updated_at) }));
  }
}

/** T-SQL statements for the window-merge algorithm, on the runner of one transaction. */
class MssqlWindowStatements implements WindowMergeDialect {
  constructor(private readonly runner: TsqlRunner) {}

  async claimPartials(ids: readonly string[], at: Date): Promise<ReadonlySet<string>> {
    const result = await this.runner.run(CLAIM_LEDGER_MANY, { stage: 'aggregate', ids: JSON.stringify(ids.map((id) => ({ id }))), at });
    return new Set(result.rows.map((row) => String(row.id)));
  }

  async readWindow(tables: DatasetTables, windowStart: string, dimensionKey: string): Promise<WindowPartial | undefined> {
    const statements = datasetStatements(tables);
    const parameters = statements.windowParameters;
    const key = { [parameters.window_start as string]: windowStart, [parameters.dimension_key as string]: dimensionKey };
    const row = (await this.runner.run(statements.selectWindowForUpdate, key)).rows[0];
    return row ? windowPartialFromRow(tables, row) : undefined;
  }

  async writeWindow(tables: DatasetTables, window: WindowPartial, { existed, at }: { existed: boolean; at: Date }): Promise<void> {
    const statements = datasetStatements(tables);
    const parameters = statements.windowParameters;
    const values: Record<string, unknown> = {};
    for (const [column, value] of Object.entries({ ...windowRowValues(tables, window), updated_at: at })) {
      values[parameters[column] as string] = value;
    }
    await this.runner.run(existed ? statements.updateWindow : statements.insertWindow, values);
  }
}
