/**
 * `ReportQuery` and `FactQuery` on SQLite; the statements are in sqlite-statements.ts, and what is
 * done with their rows in ../fact-queries.ts (as on Azure SQL).
 */
import type Database from 'better-sqlite3';
import type { DailyReportDeclaration, DatasetDeclaration } from '../../datasets/dataset-declaration.js';
import type { DailyPercentileRow, FactQuery, ReportQuery } from '../../ports/etl-store.js';
import { EtlError } from '../../errors/etl-error.js';
import { datasetTables } from '../dataset-tables.js';
import { measureValuesFromRows, windowGroupsFromRows } from '../fact-queries.js';
import type { SqliteCall } from './sqlite-support.js';
import { sqliteDatasetStatements } from './sqlite-statements.js';

export class SqliteReportQuery implements ReportQuery, FactQuery {
  constructor(
    private readonly db: Database.Database,
    private readonly call: SqliteCall,
  ) {}

  dailyPercentile(dataset: DatasetDeclaration, options: { from?: string; to?: string } = {}): Promise<readonly DailyPercentileRow[]> {
    return this.call('dailyPercentile', () => {
      const tables = datasetTables(dataset);
      const sql = sqliteDatasetStatements(tables).dailyPercentile;
      if (sql === undefined) throw new EtlError('INVALID_DATASET', `${dataset.name} declares no daily report`);
      const report = dataset.report as DailyReportDeclaration;
      if (!tables.factColumns.some((column) => column.name === report.dimension)) {
        throw new EtlError('INVALID_DATASET', `${dataset.name}: report dimension ${report.dimension} is not declared`);
      }
      return this.db.prepare(sql).all({
        from: options.from ?? null,
        to: options.to ?? null,
        minEvents: report.minDistinctEvents,
        sigma: report.sigma,
        percentile: report.percentile,
      }) as DailyPercentileRow[];
    });
  }

  countFacts(dataset: DatasetDeclaration, options: { fileId?: string } = {}): Promise<number> {
    return this.call('countFacts', () => {
      const row = this.db.prepare(sqliteDatasetStatements(datasetTables(dataset)).countFacts).get({ fileId: options.fileId ?? null }) as {
        n: number;
      };
      return row.n;
    });
  }

  groupByWindow(dataset: DatasetDeclaration) {
    return this.call('groupByWindow', () => {
      // A dataset without an event time has no windows (and its facts no window_start).
      if (dataset.eventTime === undefined) return [];
      const tables = datasetTables(dataset);
      return windowGroupsFromRows(tables, this.db.prepare(sqliteDatasetStatements(tables).groupByWindow).raw(true).all() as unknown[][]);
    });
  }

  measureValues(
    dataset: DatasetDeclaration,
    measure: string,
    options: { windowStart?: string; dimensionKey?: string } = {},
  ): Promise<number[]> {
    return this.call('measureValues', () => {
      const tables = datasetTables(dataset);
      if (!dataset.measures.includes(measure)) throw new EtlError('INVALID_DATASET', `${dataset.name} has no measure ${measure}`);
      const rows = this.db
        .prepare(sqliteDatasetStatements(tables).measureValues(measure))
        .raw(true)
        .all({ windowStart: options.windowStart ?? null }) as unknown[][];
      return measureValuesFromRows(tables, rows, options.dimensionKey);
    });
  }
}
