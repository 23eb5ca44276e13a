/**
 * Guesses how a CSV file is written from its first bytes: the encoding, the delimiter, the quote and
 * escape characters, lines before the header and comment lines. Every candidate dialect is tried
 * with the pipeline's own reader (`readCsv`), and the one under which the most rows read cleanly,
 * with the most columns, wins: what is detected is exactly what extract will read.
 */
import { isUtf8 } from 'node:buffer';
import { TextDecoder } from 'node:util';
import { readCsv, type CsvItem } from '../../shared/csv/csv-reader.js';
import type { CsvEncoding } from '../../shared/datasets/dataset-declaration.js';

export interface SniffedDialect {
  readonly encoding: CsvEncoding;
  /** Whether the file starts with a byte order mark (the reader then ignores the declared encoding). */
  readonly byteOrderMark: boolean;
  readonly delimiter: string;
  readonly quote: string;
  readonly escape: string;
  readonly skipRows: number;
  readonly comment?: string;
  /** Why each choice was made, one short sentence each, for the CLI's table. */
  readonly reasons: Readonly<Record<'encoding' | 'delimiter' | 'quote' | 'skipRows' | 'comment', string>>;
}

const DELIMITERS = [',', ';', '\t', '|'] as const;
const QUOTES = ['"', "'"] as const;
/** Lines looked at to find the header line: a title or export note rarely takes more. */
const MAX_SKIP_ROWS = 10;
/** Lines whose field counts decide where the table starts. */
const PROFILE_LINES = 50;

export const delimiterName = (delimiter: string): string =>
  ({ ',': 'comma', ';': 'semicolon', '\t': 'tab', '|': 'pipe' })[delimiter] ?? JSON.stringify(delimiter);

/** The encoding of the sample's bytes, and why. */
export function sniffEncoding(bytes: Uint8Array): { encoding: CsvEncoding; byteOrderMark: boolean; reason: string } {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf)
    return { encoding: 'utf-8', byteOrderMark: true, reason: 'UTF-8 byte order mark' };
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return { encoding: 'utf-16le', byteOrderMark: true, reason: 'UTF-16 LE byte order mark' };
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return { encoding: 'utf-16be', byteOrderMark: true, reason: 'UTF-16 BE byte order mark' };
  // UTF-16 without a mark: ASCII text has a zero byte in every other position.
  const pairs = Math.min(Math.floor(bytes.length / 2), 4096);
  let zeroEven = 0;
  let zeroOdd = 0;
  for (let i = 0; i < pairs; i += 1) {
    if (bytes[2 * i] === 0) zeroEven += 1;
    if (bytes[2 * i + 1] === 0) zeroOdd += 1;
  }
  if (pairs >= 4 && zeroOdd > pairs * 0.3 && zeroEven < pairs * 0.05)
    return { encoding: 'utf-16le', byteOrderMark: false, reason: 'no byte order mark; every other byte is zero (UTF-16 LE)' };
  if (pairs >= 4 && zeroEven > pairs * 0.3 && zeroOdd < pairs * 0.05)
    return { encoding: 'utf-16be', byteOrderMark: false, reason: 'no byte order mark; every other byte is zero (UTF-16 BE)' };
  // A sample may end inside a multi-byte character: leave its last bytes out of the check.
  let end = bytes.length;
  for (let back = 1; back <= 3 && end - back >= 0; back += 1) {
    const byte = bytes[end - back] as number;
    if (byte >= 0xc0) {
      end -= back;
      break;
    }
    if (byte < 0x80) break;
  }
  if (isUtf8(bytes.subarray(0, end))) {
    const ascii = bytes.subarray(0, end).every((byte) => byte < 0x80);
    return { encoding: 'utf-8', byteOrderMark: false, reason: ascii ? 'plain ASCII (read as UTF-8)' : 'valid UTF-8' };
  }
  return { encoding: 'windows-1252', byteOrderMark: false, reason: 'not valid UTF-8: read as Windows-1252 (Latin-1)' };
}

/** The first bytes of a file, and whether they are the whole file (its last line is then whole too). */
export interface FileSample {
  readonly bytes: Uint8Array;
  readonly complete: boolean;
}

/** The sample as text in its encoding, cut after its last complete line (a sample ends anywhere). */
export function sampleText({ bytes, complete }: FileSample, encoding: CsvEncoding): string {
  const text = new TextDecoder(encoding).decode(bytes);
  if (complete) return text;
  const lastLineEnd = text.lastIndexOf('\n');
  return lastLineEnd < 0 ? text : text.slice(0, lastLineEnd + 1);
}

/** Field counts of the first lines, quotes taken into account only within a line (good enough to find a title line). */
function fieldCounts(lines: readonly string[], delimiter: string, quote: string): number[] {
  return lines.map((line) => {
    let count = 1;
    let quoted = false;
    for (const character of line) {
      if (character === quote) quoted = !quoted;
      else if (character === delimiter && !quoted) count += 1;
    }
    return count;
  });
}

/** The line the table starts at: the first whose field count is the count most lines after it have. */
function headerLine(lines: readonly string[], delimiter: string, quote: string): number {
  const counts = fieldCounts(lines.slice(0, MAX_SKIP_ROWS + PROFILE_LINES), delimiter, quote);
  const frequency = new Map<number, number>();
  counts.slice(0, MAX_SKIP_ROWS + PROFILE_LINES).forEach((count, index) => {
    if ((lines[index] as string).trim() !== '') frequency.set(count, (frequency.get(count) ?? 0) + 1);
  });
  const usual = [...frequency].sort((a, b) => b[1] - a[1] || b[0] - a[0])[0]?.[0] ?? 1;
  const index = counts.findIndex((count, line) => count === usual && (lines[line] as string).trim() !== '');
  return index < 0 || index > MAX_SKIP_ROWS ? 0 : index;
}

interface Candidate {
  readonly delimiter: string;
  readonly quote: string;
  readonly escape: string;
  readonly skipRows: number;
  readonly comment?: string;
}

interface Score {
  readonly candidate: Candidate;
  readonly columns: number;
  readonly rows: number;
  readonly goodRows: number;
}

async function score(text: string, candidate: Candidate): Promise<Score | undefined> {
  const items: CsvItem[] = [];
  try {
    for await (const item of readCsv([text], { dialect: candidate })) items.push(item);
  } catch {
    return undefined; // the header cannot be read under this dialect
  }
  const header = items[0];
  if (header?.kind !== 'header') return undefined;
  const rows = items.length - 1;
  const goodRows = items.filter((item) => item.kind === 'row').length;
  return { candidate, columns: header.fields.length, rows, goodRows };
}

/** Share of sampled rows a dialect must read cleanly to count as the file's own. */
const READABLE_SHARE = 0.9;

/**
 * Better first: a dialect that reads most rows cleanly (so a few ragged rows cannot make a
 * one-column reading win), then more columns, then the larger share, then the usual choices.
 */
function better(a: Score, b: Score): boolean {
  const shareA = a.rows === 0 ? 1 : a.goodRows / a.rows;
  const shareB = b.rows === 0 ? 1 : b.goodRows / b.rows;
  const readsA = shareA >= READABLE_SHARE;
  const readsB = shareB >= READABLE_SHARE;
  if (readsA !== readsB) return readsA;
  if (!readsA && shareA !== shareB) return shareA > shareB;
  if (a.columns !== b.columns) return a.columns > b.columns;
  return shareA > shareB;
}

/** Detects the dialect of a file from its first bytes. */
export async function sniffDialect(sample: FileSample): Promise<SniffedDialect> {
  const { encoding, byteOrderMark, reason: encodingReason } = sniffEncoding(sample.bytes);
  let text = sampleText(sample, encoding);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines = text.split(/\r?\n/);

  const candidates: Candidate[] = [];
  for (const quote of QUOTES) {
    if (quote === "'" && !text.includes("'")) continue;
    for (const delimiter of DELIMITERS) {
      const skipRows = headerLine(lines, delimiter, quote);
      const escapes = text.includes(`\\${quote}`) ? [quote, '\\'] : [quote];
      const comments = lines.slice(skipRows + 1).some((line) => line.startsWith('#')) ? [undefined, '#'] : [undefined];
      for (const escape of escapes)
        for (const comment of comments)
          candidates.push({ delimiter, quote, escape, skipRows, ...(comment === undefined ? {} : { comment }) });
    }
  }
  let best: Score | undefined;
  for (const candidate of candidates) {
    const result = await score(text, candidate);
    if (result !== undefined && (best === undefined || better(result, best))) best = result;
  }
  const chosen = best?.candidate ?? { delimiter: ',', quote: '"', escape: '"', skipRows: 0 };
  const share = best === undefined || best.rows === 0 ? '' : ` (${best.goodRows} of ${best.rows} sampled rows read cleanly)`;
  return {
    encoding,
    byteOrderMark,
    delimiter: chosen.delimiter,
    quote: chosen.quote,
    escape: chosen.escape,
    skipRows: chosen.skipRows,
    ...(chosen.comment === undefined ? {} : { comment: chosen.comment }),
    reasons: {
      encoding: encodingReason,
      delimiter:
        best === undefined
          ? 'no delimiter gives a readable header: comma assumed'
          : `${delimiterName(chosen.delimiter)} gives ${best.columns} columns${share}`,
      quote: chosen.escape === chosen.quote ? `${chosen.quote} (doubled inside quotes)` : `${chosen.quote}, escaped with ${chosen.escape}`,
      skipRows:
        chosen.skipRows === 0
          ? 'the header is the first line'
          : `the header is line ${chosen.skipRows + 1}; the lines before it have another shape`,
      comment: chosen.comment === undefined ? 'none' : `lines starting with ${chosen.comment} are skipped`,
    },
  };
}
