/**
 * `infer-dataset` without the command line: reads a sample of a CSV file, sniffs its dialect,
 * drafts a declaration, and checks the draft the way extract will use it: the declaration schema
 * must accept it, and every sampled row the reader reads must pass validation under it.
 */
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { readCsvBatches } from '../../shared/csv/csv-reader.js';
import type { DatasetDeclaration } from '../../shared/datasets/dataset-declaration.js';
import { parseDatasetDeclaration } from '../../shared/datasets/dataset-schema.js';
import { bindHeader } from '../../shared/validation/header-binding.js';
import { validateRow } from '../../shared/validation/validate-row.js';
import { draftDeclaration, type Draft } from './draft-declaration.js';
import { sniffDialect, type FileSample, type SniffedDialect } from './sniff-dialect.js';

export interface InferOptions {
  readonly name: string;
  /** Data rows read at most (default 100,000); fewer when the file is shorter. */
  readonly sampleRows?: number;
  /** IANA zone for timestamps without an offset (default UTC). */
  readonly timeZone?: string;
}

/** A row of the sample that did not load under the draft, with its reason. */
export interface SampleRejection {
  readonly rowNumber: number;
  readonly reason: string;
}

export interface Inference {
  readonly dialect: SniffedDialect;
  readonly draft: Draft;
  /** The draft as the pipeline loads it. */
  readonly dataset: DatasetDeclaration;
  /** Data rows read, and whether that was the whole file. */
  readonly sampledRows: number;
  readonly wholeFile: boolean;
  /** Rows the CSV reader itself rejects (wrong field count, malformed quotes, bad bytes): no declaration can load them. */
  readonly unreadable: readonly SampleRejection[];
  readonly unreadableCount: number;
  /** Rows the reader reads but the draft rejects; empty unless a value defeated inference. */
  readonly rejected: readonly SampleRejection[];
  readonly rejectedCount: number;
}

/** Bytes the dialect is sniffed from. */
const SNIFF_BYTES = 256 * 1024;
/** Rejections kept as examples. */
const EXAMPLES = 5;

async function firstBytes(path: string, size: number): Promise<FileSample> {
  const file = await open(path, 'r');
  try {
    const total = (await stat(path)).size;
    const bytes = Buffer.alloc(Math.min(size, total));
    const { bytesRead } = await file.read(bytes, 0, bytes.length, 0);
    return { bytes: bytes.subarray(0, bytesRead), complete: bytesRead >= total };
  } finally {
    await file.close();
  }
}

/**
 * Infers a draft declaration for the file at `path`.
 *
 * @throws Error with a message for the user when the file has no header, or the header cannot
 *   name columns (an empty or repeated header field).
 */
export async function inferDataset(path: string, options: InferOptions): Promise<Inference> {
  const sampleRows = options.sampleRows ?? 100_000;
  const timeZone = options.timeZone ?? 'UTC';
  const first = await firstBytes(path, SNIFF_BYTES);
  if (first.bytes.length === 0) throw new Error(`${path} is empty: there is nothing to infer from`);
  const dialect = await sniffDialect(first);

  const sample = await readSample(path, dialect, sampleRows);
  const { header, rows, wholeFile } = sample;
  if (header === undefined) throw new Error(`${path} has no header line`);
  checkHeader(header);

  const draft = draftDeclaration(header, rows, {
    name: options.name,
    csv: dialect,
    timeZone,
    wholeFile,
    source: basename(path),
  });
  const dataset = parseDatasetDeclaration(draft.declaration, `the draft for ${basename(path)}`);
  const binding = bindHeader(dataset, header);
  if (!binding.ok) throw new Error(`the draft does not bind the file's own header: ${binding.reason}`);
  const rejected: SampleRejection[] = [];
  let rejectedCount = 0;
  rows.forEach((fields, index) => {
    const validation = validateRow(dataset, binding.binding, fields);
    if (validation.ok) return;
    rejectedCount += 1;
    if (rejected.length < EXAMPLES) rejected.push({ rowNumber: sample.rowNumbers[index] as number, reason: validation.reason });
  });
  const { unreadable, unreadableCount } = sample;
  return {
    dialect,
    draft,
    dataset,
    sampledRows: rows.length + unreadableCount,
    wholeFile,
    unreadable,
    unreadableCount,
    rejected,
    rejectedCount,
  };
}

/** Up to `sampleRows` data rows read with the pipeline's reader, and the rows it cannot read. */
async function readSample(path: string, dialect: SniffedDialect, sampleRows: number) {
  let header: string[] | undefined;
  const rows: string[][] = [];
  const rowNumbers: number[] = [];
  const unreadable: SampleRejection[] = [];
  let unreadableCount = 0;
  let wholeFile = true;
  const stream = createReadStream(path);
  try {
    reading: for await (const items of readCsvBatches(stream, { dialect, encoding: dialect.encoding })) {
      for (const item of items) {
        if (item.kind === 'header') {
          header = item.fields;
          continue;
        }
        if (rows.length + unreadableCount >= sampleRows) {
          wholeFile = false;
          break reading;
        }
        if (item.kind === 'error') {
          unreadableCount += 1;
          if (unreadable.length < EXAMPLES) unreadable.push({ rowNumber: item.rowNumber, reason: item.reason });
          continue;
        }
        rows.push(item.fields);
        rowNumbers.push(item.rowNumber);
      }
    }
  } finally {
    stream.destroy();
  }
  return { header, rows, rowNumbers, unreadable, unreadableCount, wholeFile };
}

/** A header that can name columns: no empty field before a filled one, no name twice. */
function checkHeader(header: readonly string[]): void {
  const blank = header.findIndex((field, index) => field.trim() === '' && header.slice(index).some((later) => later.trim() !== ''));
  if (blank >= 0)
    throw new Error(
      `the header's field ${blank + 1} is empty: every column the file fills needs a header (give it one, then run infer-dataset again)`,
    );
  const seen = new Set<string>();
  for (const field of header.map((text) => text.trim()).filter((text) => text !== '')) {
    if (seen.has(field))
      throw new Error(`the header names '${field}' twice: the pipeline binds columns by their header, so each must be unique`);
    seen.add(field);
  }
}
