/**
 * `WindowStore` on Azure SQL: each partial is merged into its window row exactly once, guarded by a
 * ledger row (stage `aggregate`) written in the same transaction; window rows are read WITH (UPDLOCK,
 * HOLDLOCK) so concurrent merges into one window queue instead of losing an update.
 */
import type { DatasetDeclaration } from '../../datasets/dataset-declaration.js';
import type { WindowPartial } from '../../aggregates/window-partial.js';
import type { WindowRow, WindowStore } from '../../ports/etl-store.js';
import { EtlError } from '../../errors/etl-error.js';
import { datasetTables, isoText, windowPartialFromRow, windowRowValues, type DatasetTables } from '../dataset-tables.js';
import { CLAIM_LEDGER_MANY, datasetStatements } from './mssql-statements.js';
import type { TsqlRunner, TsqlSession } from './tsql-session.js';

type Merge = (existing: WindowPartial, incoming: WindowPartial) => WindowPartial;

export class MssqlWindowStore implements WindowStore {
  constructor(
    private readonly session: TsqlSession,
    private readonly now: () => Date,
  ) {}

  /**
   * Round trips per batch, not per partial: one statement claims every partial id and returns those
   * that were new; the claimed partials are folded per window in JS (merge is associative), then
   * each touched window is read under an update lock and written once, in key order so that two
   * batches touching the same windows lock them in the same order.
   */
  mergePartials(
    dataset: DatasetDeclaration,
    partials: readonly { readonly partialId: string; readonly partial: WindowPartial }[],
    merge: Merge,
  ): Promise<{ applied: number; alreadyApplied: number }> {
    const tables = datasetTables(dataset);
    for (const { partialId, partial } of partials) {
      if (partial.dataset !== dataset.name || partial.windowMinutes !== dataset.windowMinutes) {
        throw new EtlError('INTERNAL', `partial ${partialId} belongs to ${partial.dataset}/${partial.windowMinutes}m, not ${tables.windowsTable}`);
      }
    }
    const ids = [...new Set(partials.map((entry) => entry.partialId))];
    return this.session.transaction('mergePartials', async (runner) => {
      const claimed = new Set<string>();
      if (ids.length > 0) {
        const result = await runner.run(CLAIM_LEDGER_MANY, { stage: 'aggregate', ids: JSON.stringify(ids.map((id) => ({ id }))), at: this.now() });
        for (const row of result.rows) claimed.add(String(row.id));
      }
      const incoming = new Map<string, WindowPartial>();
      let applied = 0;
      for (const { partialId, partial } of partials) {
        if (!claimed.delete(partialId)) continue; // already in the ledger, or a repeat within this batch
        const key = `${partial.windowStart}\u0000${partial.dimensionKey}`;
        const before = incoming.get(key);
        incoming.set(key, before ? merge(before, partial) : partial);
        applied += 1;
      }
      const windows = [...incoming.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      for (const [, partial] of windows) await this.mergeOne(runner, tables, partial, merge);
      return { applied, alreadyApplied: partials.length - applied };
    });
  }

  private async mergeOne(runner: TsqlRunner, tables: DatasetTables, partial: WindowPartial, merge: Merge): Promise<void> {
    const statements = datasetStatements(tables);
    const parameters = statements.windowParameters;
    const key = { [parameters.window_start as string]: partial.windowStart, [parameters.dimension_key as string]: partial.dimensionKey };
    const existing = (await runner.run(statements.selectWindowForUpdate, key)).rows[0];
    const merged = existing ? merge(windowPartialFromRow(tables, existing), partial) : partial;
    const values: Record<string, unknown> = {};
    for (const [column, value] of Object.entries({ ...windowRowValues(tables, merged), updated_at: this.now() })) {
      values[parameters[column] as string] = value;
    }
    await runner.run(existing ? statements.updateWindow : statements.insertWindow, values);
  }

  async listWindows(dataset: DatasetDeclaration, options: { from?: string; to?: string; limit?: number } = {}): Promise<readonly WindowRow[]> {
    const tables = datasetTables(dataset);
    const result = await this.session.query('listWindows', datasetStatements(tables).listWindows, {
      limit: options.limit ?? Number.MAX_SAFE_INTEGER,
      from: options.from ?? null,
      to: options.to ?? null,
    });
    return result.rows.map((row) => ({ ...windowPartialFromRow(tables, row), updatedAt: isoText(row.updated_at) }));
  }
}
