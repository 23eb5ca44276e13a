/** `ReportQuery` and `FactQuery` on Azure SQL; the statements are in mssql-statements.ts. */
import type { DatasetDeclaration } from '../../datasets/dataset-declaration.js';
import type { DailyPercentileRow, FactQuery, ReportQuery } from '../../ports/etl-store.js';
import { EtlError } from '../../errors/etl-error.js';
import { datasetTables, dimensionKeyOf, isoText } from '../dataset-tables.js';
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
    const result = await this.session.query('countFacts', datasetStatements(datasetTables(dataset)).countFacts, { fileId: options.fileId ?? null });
    return Number(result.rows[0]?.n ?? 0);
  }

  async groupByWindow(dataset: DatasetDeclaration) {
    // A dataset without an event time has no windows (and its facts no window_start).
    if (dataset.eventTime === undefined) return [];
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
          dimensionKeyOf(tables, tables.dimensionColumns.map((column) => row[column.name])) === options.dimensionKey,
      )
      .map((row) => Number(row[measure]));
  }
}
