/** The daily percentile report as an aligned table or as CSV. */
import type { DatasetDeclaration } from '../../shared/datasets/dataset-declaration.js';
import type { DailyPercentileRow } from '../../shared/ports/etl-store.js';
import type { EtlRuntime } from '../../shared/runtime/etl-runtime.js';
import { csvLine } from '../../shared/csv/csv-line.js';
import { datasetTables } from '../../shared/sql/dataset-tables.js';

export type ReportFormat = 'table' | 'csv';

export function formatReport(dataset: DatasetDeclaration, rows: readonly DailyPercentileRow[], format: ReportFormat): string[] {
  const report = dataset.report;
  if (!report) {
    // Say why there is nothing to show: a dataset without an event time cannot have a report.
    return [
      dataset.eventTime === undefined
        ? `dataset ${dataset.name} has no event time: it loads facts only (table ${datasetTables(dataset).factsTable}), without window aggregates or a report`
        : `dataset ${dataset.name} declares no report`,
    ];
  }
  const percentileLabel = `p${Math.round(report.percentile * 100)}_${report.measure}`;
  const header = ['day', report.dimension, 'events', 'mean', 'stddev', 'kept', percentileLabel];
  const body = rows.map((row) => [
    row.day,
    row.dimension,
    String(row.events),
    row.mean.toFixed(3),
    row.stddev.toFixed(3),
    String(row.kept),
    row.percentile.toFixed(3),
  ]);
  if (format === 'csv') return [header, ...body].map(csvLine);
  const widths = header.map((title, column) => Math.max(title.length, ...body.map((cells) => cells[column]!.length)));
  const line = (cells: string[]) =>
    cells.map((cell, column) => (column < 2 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ');
  const title =
    `Daily ${percentileLabel} per ${report.dimension} (values beyond ${report.sigma}σ of the day's mean left out; ` +
    `only groups with ≥ ${report.minDistinctEvents} distinct events)`;
  return [title, line(header), ...body.map(line), ...(body.length === 0 ? ['(no day has enough events yet)'] : [])];
}

/** The report of one dataset, or a line saying that the dataset declares none. */
export async function printDailyReport(
  runtime: EtlRuntime,
  dataset: DatasetDeclaration,
  format: ReportFormat,
  print: (line: string) => void,
): Promise<void> {
  const rows = dataset.report === undefined ? [] : await runtime.store.report.dailyPercentile(dataset);
  for (const line of formatReport(dataset, rows, format)) print(line);
}
