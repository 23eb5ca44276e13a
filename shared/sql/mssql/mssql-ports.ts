/** Manifest, outbox, window, report and fact-query ports on Azure SQL (the fact loader has its own file). */
import type { DatasetDeclaration } from '../../datasets/dataset-declaration.js';
import type { WindowPartial } from '../../aggregates/window-partial.js';
import type {
  DailyPercentileRow,
  FactQuery,
  ManifestStore,
  OutboxMessage,
  OutboxStore,
  ReportQuery,
  WindowRow,
  WindowStore,
} from '../../ports/etl-store.js';
import type { FileManifest, FileState } from '../../ports/file-manifest.js';
import { EtlError } from '../../errors/etl-error.js';
import {
  datasetTables,
  dimensionKeyOf,
  dimensionText,
  isoText,
  windowPartialFromRow,
  windowRowValues,
  type DatasetTables,
} from '../dataset-tables.js';
import {
  ADD_DEAD_LETTERED,
  BEGIN_FILE,
  CLAIM_LEDGER,
  datasetStatements,
  FAIL_FILE,
  FINISH_EXTRACT,
  LIST_FILES,
  LIST_UNPUBLISHED,
  MARK_PUBLISHED,
  SELECT_FILE,
} from './mssql-statements.js';
import type { MssqlSession, Row, TsqlRunner } from './mssql-session.js';

const isoOrNull = (value: unknown): string | null => (value == null ? null : isoText(value));

function manifestFromRow(row: Row): FileManifest {
  const n = (name: string) => Number(row[name] ?? 0);
  return {
    fileId: String(row.file_id),
    dataset: String(row.dataset),
    blobName: String(row.blob_name),
    blobEtag: String(row.blob_etag),
    state: String(row.state) as FileState,
    totalRows: n('total_rows'),
    // Transform's rejects are kept apart so finishExtract (which sets extract's counts) cannot erase them.
    validRows: n('valid_rows') - n('transform_rejected_rows'),
    rejectedRows: n('rejected_rows') + n('transform_rejected_rows'),
    loadedRows: n('loaded_rows'),
    duplicateRows: n('duplicate_rows'),
    chunks: n('chunks'),
    chunksLoaded: n('chunks_loaded'),
    chunksDeadLettered: n('chunks_dead_lettered'),
    error: row.error == null ? null : String(row.error),
    receivedAt: isoText(row.received_at),
    extractedAt: isoOrNull(row.extracted_at),
    completedAt: isoOrNull(row.completed_at),
    updatedAt: isoText(row.updated_at),
  };
}

export class MssqlManifestStore implements ManifestStore {
  constructor(private readonly session: MssqlSession) {}

  beginFile(input: { fileId: string; dataset: string; blobName: string; blobEtag: string; receivedAt: string }) {
    return this.session.transaction('beginFile', async (runner) => {
      const inserted = await runner.run(BEGIN_FILE, { ...input });
      const row = (await runner.run(SELECT_FILE, { fileId: input.fileId })).rows[0] as Row;
      return { created: inserted.rowsAffected === 1, manifest: manifestFromRow(row) };
    });
  }

  finishExtract(fileId: string, counts: { totalRows: number; validRows: number; rejectedRows: number; chunks: number }, at: string) {
    return this.session.transaction('finishExtract', async (runner) => {
      await runner.run(FINISH_EXTRACT, {
        total: counts.totalRows,
        valid: counts.validRows,
        rejected: counts.rejectedRows,
        chunks: counts.chunks,
        at,
        fileId,
      });
      const row = (await runner.run(SELECT_FILE, { fileId })).rows[0];
      if (!row) throw new EtlError('INTERNAL', `finishExtract: no manifest for file ${fileId}`);
      return manifestFromRow(row);
    });
  }

  async failFile(fileId: string, error: string, at: string): Promise<void> {
    await this.session.query('failFile', FAIL_FILE, { fileId, error, at });
  }

  async addDeadLetteredChunks(fileId: string, delta: number, at: string): Promise<void> {
    await this.session.query('addDeadLetteredChunks', ADD_DEAD_LETTERED, { fileId, delta, at });
  }

  async getFile(fileId: string): Promise<FileManifest | undefined> {
    const row = (await this.session.query('getFile', SELECT_FILE, { fileId })).rows[0];
    return row ? manifestFromRow(row) : undefined;
  }

  async listFiles(options: { state?: FileState; dataset?: string; limit?: number } = {}): Promise<readonly FileManifest[]> {
    const result = await this.session.query('listFiles', LIST_FILES, {
      limit: options.limit ?? 1000,
      state: options.state ?? null,
      dataset: options.dataset ?? null,
    });
    return result.rows.map(manifestFromRow);
  }
}

export class MssqlOutboxStore implements OutboxStore {
  constructor(
    private readonly session: MssqlSession,
    private readonly now: () => Date,
  ) {}

  async listUnpublished(limit: number): Promise<readonly OutboxMessage[]> {
    const result = await this.session.query('listUnpublished', LIST_UNPUBLISHED, { limit });
    return result.rows.map((row) => ({
      id: String(row.id),
      destination: String(row.destination),
      partitionKey: String(row.partition_key),
      body: String(row.body),
      createdAt: isoText(row.created_at),
    }));
  }

  async markPublished(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.session.query('markPublished', MARK_PUBLISHED, { ids: JSON.stringify(ids), at: this.now() });
  }
}

type Merge = (existing: WindowPartial, incoming: WindowPartial) => WindowPartial;

export class MssqlWindowStore implements WindowStore {
  constructor(
    private readonly session: MssqlSession,
    private readonly now: () => Date,
  ) {}

  mergePartials(
    dataset: DatasetDeclaration,
    partials: readonly { readonly partialId: string; readonly partial: WindowPartial }[],
    merge: Merge,
  ): Promise<{ applied: number; alreadyApplied: number }> {
    const tables = datasetTables(dataset);
    return this.session.transaction('mergePartials', async (runner) => {
      let applied = 0;
      let alreadyApplied = 0;
      for (const { partialId, partial } of partials) {
        if (partial.dataset !== dataset.name || partial.windowMinutes !== dataset.windowMinutes) {
          throw new EtlError('INTERNAL', `partial ${partialId} belongs to ${partial.dataset}/${partial.windowMinutes}m, not ${tables.windowsTable}`);
        }
        if ((await runner.run(CLAIM_LEDGER, { stage: 'aggregate', id: partialId, at: this.now() })).rowsAffected === 0) {
          alreadyApplied += 1;
          continue;
        }
        await this.mergeOne(runner, tables, partial, merge);
        applied += 1;
      }
      return { applied, alreadyApplied };
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

export class MssqlReportQuery implements ReportQuery, FactQuery {
  constructor(private readonly session: MssqlSession) {}

  async dailyPercentile(dataset: DatasetDeclaration, options: { from?: string; to?: string } = {}): Promise<readonly DailyPercentileRow[]> {
    const statement = datasetStatements(datasetTables(dataset)).dailyPercentile;
    const report = dataset.report;
    if (!statement || !report) throw new EtlError('INVALID_DATASET', `${dataset.name} declares no daily report`);
    const result = await this.session.query('dailyPercentile', statement, {
      from: options.from ?? null,
      to: options.to ?? null,
      minEvents: report.minDistinctEvents,
      sigma: report.sigma,
      percentile: report.percentile,
    });
    return result.rows.map((row) => ({
      day: isoText(row.day).slice(0, 10),
      dimension: String(row.dimension),
      events: Number(row.events),
      mean: Number(row.mean),
      stddev: Number(row.stddev),
      kept: Number(row.kept),
      percentile: Number(row.percentile),
    }));
  }

  async countFacts(dataset: DatasetDeclaration, options: { fileId?: string } = {}): Promise<number> {
    const result = await this.session.query('countFacts', datasetStatements(datasetTables(dataset)).countFacts, { fileId: options.fileId ?? null });
    return Number(result.rows[0]?.n ?? 0);
  }

  async groupByWindow(dataset: DatasetDeclaration) {
    const tables = datasetTables(dataset);
    const result = await this.session.query('groupByWindow', datasetStatements(tables).groupByWindow);
    const groups = new Map<string, { windowStart: string; dimensionKey: string; count: number; measures: Record<string, { sum: number; min: number; max: number }> }>();
    for (const row of result.rows) {
      const windowStart = isoText(row.window_start);
      const dimensionKey = dimensionKeyOf(tables, tables.dimensionColumns.map((column) => row[column.name]));
      const id = `${windowStart}\u0000${dimensionKey}`;
      const group = groups.get(id) ?? { windowStart, dimensionKey, count: 0, measures: {} };
      group.count += Number(row.n);
      dataset.measures.forEach((measure, index) => {
        const before = group.measures[measure] ?? { sum: 0, min: Number.POSITIVE_INFINITY, max: Number.NEGATIVE_INFINITY };
        const min = row[`min${index}`];
        const max = row[`max${index}`];
        group.measures[measure] = {
          sum: before.sum + Number(row[`sum${index}`] ?? 0),
          min: min == null ? before.min : Math.min(before.min, Number(min)),
          max: max == null ? before.max : Math.max(before.max, Number(max)),
        };
      });
      groups.set(id, group);
    }
    return [...groups.values()].sort((a, b) =>
      a.windowStart === b.windowStart ? (a.dimensionKey < b.dimensionKey ? -1 : 1) : a.windowStart < b.windowStart ? -1 : 1,
    );
  }

  async measureValues(dataset: DatasetDeclaration, measure: string, options: { windowStart?: string; dimensionKey?: string } = {}): Promise<number[]> {
    const tables = datasetTables(dataset);
    if (!dataset.measures.includes(measure)) throw new EtlError('INVALID_DATASET', `${dataset.name} has no measure ${measure}`);
    const result = await this.session.query('measureValues', datasetStatements(tables).measureValues(measure), {
      windowStart: options.windowStart ?? null,
    });
    return result.rows
      .filter(
        (row) =>
          options.dimensionKey === undefined ||
          tables.dimensionColumns.map((column) => dimensionText(column.type, row[column.name])).join('\u001f') === options.dimensionKey,
      )
      .map((row) => Number(row[measure]));
  }
}
