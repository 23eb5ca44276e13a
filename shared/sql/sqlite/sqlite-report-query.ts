/**
 * `ReportQuery` and `FactQuery` on SQLite. The daily report is one statement: mean and population
 * stddev per day and dimension, then the nearest-rank percentile of the values within
 * `sigma` stddevs, picked as the first row whose cumulative share reaches the percentile
 * (what T-SQL's PERCENTILE_DISC returns).
 */
import type Database from 'better-sqlite3';
import type { DailyReportDeclaration, DatasetDeclaration } from '../../datasets/dataset-declaration.js';
import type { DailyPercentileRow, FactQuery, ReportQuery } from '../../ports/etl-store.js';
import { EtlError } from '../../errors/etl-error.js';
import { datasetTables, dimensionKeyOf, isoText } from '../dataset-tables.js';
import { quoteSqlite as q } from '../sql-identifier.js';
import { sqliteCall } from './sqlite-support.js';

export function sqliteDailyPercentileSql(dataset: DatasetDeclaration): string {
  const tables = datasetTables(dataset);
  const report = dataset.report;
  if (!report) throw new EtlError('INVALID_DATASET', `${dataset.name} declares no daily report`);
  if (!tables.factColumns.some((column) => column.name === report.dimension)) {
    throw new EtlError('INVALID_DATASET', `${dataset.name}: report dimension ${report.dimension} is not declared`);
  }
  return `WITH base AS (
    SELECT event_date AS day, COALESCE(CAST(${q(report.dimension)} AS TEXT), '') AS dimension, CAST(${q(report.measure)} AS REAL) AS v
    FROM ${q(tables.factsTable)}
    WHERE ${q(report.measure)} IS NOT NULL AND (@from IS NULL OR event_date >= @from) AND (@to IS NULL OR event_date <= @to)
  ), stats AS (
    SELECT day, dimension, COUNT(*) AS events, AVG(v) AS mean FROM base GROUP BY day, dimension HAVING COUNT(*) >= @minEvents
  ), spread AS (
    SELECT s.day, s.dimension, s.events, s.mean, sqrt(AVG((b.v - s.mean) * (b.v - s.mean))) AS stddev
    FROM base b JOIN stats s ON s.day = b.day AND s.dimension = b.dimension
    GROUP BY s.day, s.dimension, s.events, s.mean
  ), kept AS (
    SELECT b.day, b.dimension, b.v,
      ROW_NUMBER() OVER (PARTITION BY b.day, b.dimension ORDER BY b.v) AS position,
      COUNT(*) OVER (PARTITION BY b.day, b.dimension) AS kept
    FROM base b JOIN spread s ON s.day = b.day AND s.dimension = b.dimension
    WHERE ABS(b.v - s.mean) <= @sigma * s.stddev
  )
  SELECT s.day, s.dimension, s.events, s.mean, s.stddev, k.kept, k.v AS percentile
  FROM kept k JOIN spread s ON s.day = k.day AND s.dimension = k.dimension
  WHERE CAST(k.position AS REAL) / k.kept >= @percentile AND CAST(k.position - 1 AS REAL) / k.kept < @percentile
  ORDER BY s.day, s.dimension`;
}

export class SqliteReportQuery implements ReportQuery, FactQuery {
  constructor(private readonly db: Database.Database) {}

  dailyPercentile(dataset: DatasetDeclaration, options: { from?: string; to?: string } = {}): Promise<readonly DailyPercentileRow[]> {
    return sqliteCall('dailyPercentile', () => {
      const sql = sqliteDailyPercentileSql(dataset); // throws INVALID_DATASET when there is no report
      const report = dataset.report as DailyReportDeclaration;
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
    return sqliteCall('countFacts', () => {
      const table = q(datasetTables(dataset).factsTable);
      const row = this.db
        .prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE @fileId IS NULL OR file_id = @fileId`)
        .get({ fileId: options.fileId ?? null }) as { n: number };
      return row.n;
    });
  }

  groupByWindow(dataset: DatasetDeclaration) {
    return sqliteCall('groupByWindow', () => {
      // A dataset without an event time has no windows (and its facts no window_start).
      if (dataset.eventTime === undefined) return [];
      const tables = datasetTables(dataset);
      const dimensions = tables.dimensionColumns.map((column) => q(column.name));
      const measures = dataset.measures.flatMap((measure) => [
        `SUM(${q(measure)})`,
        `MIN(${q(measure)})`,
        `MAX(${q(measure)})`,
      ]);
      const rows = this.db
        .prepare(
          `SELECT window_start, ${[...dimensions, 'COUNT(*)', ...measures].join(', ')} FROM ${q(tables.factsTable)}
           GROUP BY ${['window_start', ...dimensions].join(', ')}`,
        )
        .raw(true)
        .all() as unknown[][];
      // Dimension values that spell the same key (NULL and '') are one window, as in the partials.
      const groups = new Map<string, { windowStart: string; dimensionKey: string; count: number; measures: Record<string, { sum: number; min: number; max: number }> }>();
      for (const row of rows) {
        const windowStart = isoText(row[0]);
        const dimensionKey = dimensionKeyOf(tables, row.slice(1, 1 + dimensions.length));
        const id = `${windowStart}\u0000${dimensionKey}`;
        const group = groups.get(id) ?? { windowStart, dimensionKey, count: 0, measures: {} };
        group.count += Number(row[1 + dimensions.length]);
        dataset.measures.forEach((measure, index) => {
          const base = 2 + dimensions.length + index * 3;
          const previous = group.measures[measure] ?? { sum: 0, min: Number.POSITIVE_INFINITY, max: Number.NEGATIVE_INFINITY };
          group.measures[measure] = {
            sum: previous.sum + Number(row[base] ?? 0),
            min: row[base + 1] == null ? previous.min : Math.min(previous.min, Number(row[base + 1])),
            max: row[base + 2] == null ? previous.max : Math.max(previous.max, Number(row[base + 2])),
          };
        });
        groups.set(id, group);
      }
      return [...groups.values()].sort((a, b) =>
        a.windowStart === b.windowStart ? (a.dimensionKey < b.dimensionKey ? -1 : 1) : a.windowStart < b.windowStart ? -1 : 1,
      );
    });
  }

  measureValues(
    dataset: DatasetDeclaration,
    measure: string,
    options: { windowStart?: string; dimensionKey?: string } = {},
  ): Promise<number[]> {
    return sqliteCall('measureValues', () => {
      const tables = datasetTables(dataset);
      if (!dataset.measures.includes(measure)) throw new EtlError('INVALID_DATASET', `${dataset.name} has no measure ${measure}`);
      const dimensions = tables.dimensionColumns.map((column) => q(column.name));
      const rows = this.db
        .prepare(
          `SELECT ${[q(measure), ...dimensions].join(', ')} FROM ${q(tables.factsTable)}
           WHERE ${q(measure)} IS NOT NULL AND (@windowStart IS NULL OR window_start = @windowStart)`,
        )
        .raw(true)
        .all({ windowStart: options.windowStart ?? null }) as unknown[][];
      return rows
        .filter(
          (row) =>
            options.dimensionKey === undefined ||
            dimensionKeyOf(tables, tables.dimensionColumns.map((_, index) => row[index + 1])) === options.dimensionKey,
        )
        .map((row) => Number(row[0]));
    });
  }
}
