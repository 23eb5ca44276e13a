/**
 * `npm run etl -- infer-dataset <file.csv> --name <dataset>`: drafts a dataset declaration from a
 * file, prints what it decided and why, checks the draft against the sample, and writes it where
 * `ETL_DATASETS_DIR` can pick it up. The inference itself lives in local/dataset-inference/.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { inferDataset, type Inference } from '../dataset-inference/infer-dataset.js';
import { delimiterName } from '../dataset-inference/sniff-dialect.js';

export const INFER_USAGE = `Usage: npm run etl -- infer-dataset <file.csv> --name <dataset> [options]

Reads a sample of the file, detects how it is written (encoding, delimiter, quotes, lines before
the header), the type of each column, a key, the event time, measures and dimensions, and writes
a declaration to edit. Prints each decision with its reason.

  --name N            dataset name: [a-z][a-z0-9_]{0,62} (the folder under landing/)
  --out FILE          where to write the draft (default datasets/<name>.json)
  --sample-rows N     data rows read at most (default 100000)
  --time-zone Z       IANA zone of timestamps written without an offset (default UTC)
  --force             overwrite FILE if it exists`;

const NAME = /^[a-z][a-z0-9_]{0,62}$/;

/** Rows of cells as a table whose columns are as wide as their widest cell. */
export function alignedTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((cells) => (cells[column] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] as number))).join('  ');
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)];
}

/** What the command prints about an inference (everything but the lines about the file written). */
export function describeInference(path: string, inference: Inference): string[] {
  const { dialect, draft } = inference;
  const lines = [
    `${path}: ${inference.wholeFile ? `all ${inference.sampledRows} data rows` : `the first ${inference.sampledRows} data rows`} read`,
    '',
  ];
  lines.push(
    ...alignedTable(
      ['how the file is written', 'decided', 'why'],
      [
        ['encoding', `${dialect.encoding}${dialect.byteOrderMark ? ' (byte order mark)' : ''}`, dialect.reasons.encoding],
        ['delimiter', delimiterName(dialect.delimiter), dialect.reasons.delimiter],
        [
          'quote',
          dialect.quote === dialect.escape ? dialect.quote : `${dialect.quote} escaped by ${dialect.escape}`,
          dialect.reasons.quote,
        ],
        ['skipRows', String(dialect.skipRows), dialect.reasons.skipRows],
        ['comment', dialect.comment ?? '(none)', dialect.reasons.comment],
      ],
    ),
    '',
    ...alignedTable(
      ['header', 'column', 'type', 'why'],
      draft.columns.map((column) => [column.header, column.name, column.type, column.why]),
    ),
    '',
    ...alignedTable(
      ['dataset', 'decided', 'why'],
      draft.decisions.map((decision) => [decision.what, decision.decided, decision.why]),
    ),
    '',
  );
  const readable = inference.sampledRows - inference.unreadableCount;
  lines.push(
    `check: ${readable - inference.rejectedCount} of ${readable} readable sampled rows pass the draft` +
      (inference.rejectedCount === 0 ? '' : `; ${inference.rejectedCount} would be rejected, e.g.:`),
  );
  for (const rejection of inference.rejected) lines.push(`  row ${rejection.rowNumber}: ${rejection.reason}`);
  if (inference.unreadableCount > 0) {
    lines.push(`${inference.unreadableCount} sampled row(s) do not read as CSV under any declaration and will be rejected, e.g.:`);
    for (const rejection of inference.unreadable) lines.push(`  row ${rejection.rowNumber}: ${rejection.reason}`);
  }
  return lines;
}

/** Runs the command; returns the exit code. */
export async function runInferDataset(argv: readonly string[], print: (line: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      out: { type: 'string' },
      'sample-rows': { type: 'string', default: '100000' },
      'time-zone': { type: 'string', default: 'UTC' },
      force: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    print(INFER_USAGE);
    return 0;
  }
  const [path, extra] = positionals;
  if (path === undefined || values.name === undefined || extra !== undefined)
    throw new Error(`infer-dataset: give one CSV file and --name\n\n${INFER_USAGE}`);
  if (!NAME.test(values.name))
    throw new Error(`infer-dataset: --name '${values.name}' must match [a-z][a-z0-9_]{0,62} (it names SQL tables)`);
  const sampleRows = Number(values['sample-rows']);
  if (!Number.isSafeInteger(sampleRows) || sampleRows < 1)
    throw new Error(`infer-dataset: --sample-rows must be a positive integer, got '${values['sample-rows']}'`);
  if (!existsSync(path)) throw new Error(`infer-dataset: no file ${path}`);
  const out = values.out ?? join('datasets', `${values.name}.json`);
  if (existsSync(out) && !values.force)
    throw new Error(`infer-dataset: ${out} exists; give --force to overwrite it, or --out for another file`);

  const inference = await inferDataset(path, { name: values.name, sampleRows, timeZone: values['time-zone'] });
  for (const line of describeInference(path, inference)) print(line);
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, `${JSON.stringify(inference.draft.declaration, null, 2)}\n`);
  print('');
  print(`wrote ${out}: review it (names, sizes, key, report), then load files with it:`);
  print(`  ETL_DATASETS_DIR=${dirname(out)} npm start                                    (one terminal)`);
  print(`  ETL_DATASETS_DIR=${dirname(out)} npm run etl -- upload ${path} --dataset ${values.name}   (another)`);
  return 0;
}
