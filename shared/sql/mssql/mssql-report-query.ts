/** `ReportQuery` and `FactQuery` on Azure SQL; the statements are in mssql-statements.ts. */
import type { DatasetDeclaration } from '../../datasets/dataset-declaration.js';
import type { DailyPercentileRow, FactQuery, ReportQuery } from '../../ports/etl-store.js';
import { EtlError } from '../../errors/etl-error.js';
import { datasetTables, isoText } from '../dataset-tables.js';
import { measureValuesFromRows, windowGroupsFromRows } from '../fact-queries.js';
import { datasetStatements } from './mssql-statements.js';
import type { TsqlSession } from './tsql-session.js';

export class MssqlReportQuery implements ReportQuery, FactQuery {
  constructor(private readonly session: TsqlSession) {}

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
    const result = await this.session.query('countFacts', datasetStatements(datasetTables(dataset)).countFacts, {
      fileId: options.fileId ?? null,
    });
    return Number(result.rows[0]?.n ?? 0);
  }

  async groupByWindow(dataset: DatasetDeclaration) {
    // A dataset without an event time has no windows (and its facts no window_start).
    if (dataset.eventTime === undefined) return [];
    const tables = datasetTables(dataset);
    const result = await this.session.query('groupByWindow', datasetStatements(tables).groupByWindow);
    const columns = [
      'window_start',
      ...tables.dimensionColumns.map((column) => column.name),
      'n',
      ...dataset.measures.flatMap((_, index) => [`sum${index}`, `min${index}`, `max${index}`]),
    ];
    return windowGroupsFromRows(
      tables,
      result.rows.map((row) => columns.map((column) => row[column])),
    );
  }

  async measureValues(
    dataset: DatasetDeclaration,
    measure: string,
    options: { windowStart?: string; dimensionKey?: string } = {},
  ): Promise<number[]> {
    const tables = datasetTables(dataset);
    if (!dataset.measures.includes(measure)) throw new EtlError('INVALID_DATASET', `${dataset.name} has no measure ${measure}`);
    const result = await this.session.query('measureValues', datasetStatements(tables).measureValues(measure), {
      windowStart: options.windowStart ?? null,
    });
    const columns = [measure, ...tables.dimensionColumns.map((column) => column.name)];
    return measureValuesFromRows(
      tables,
      result.rows.map((row) => columns.map((column) => row[column])),
      options.dimensionKey,
    );
  }
}
