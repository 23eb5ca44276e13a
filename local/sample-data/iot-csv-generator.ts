/**
 * Seeded generator of IoT events CSV (the built-in `iot_events` dataset): realistic rows, plus
 * duplicates and bad rows at chosen rates, with the exact counts a correct pipeline must report.
 * Streams text in ~64 KiB chunks, so gigabyte files never sit in memory.
 *
 * Generated text has no line breaks inside fields, so tests may split it at '\n'.
 */
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { seededRandom, type SeededRandom } from './seeded-random.js';

export interface IotCsvOptions {
  /** Data rows (header excluded), bad rows and duplicates included. */
  rows: number;
  /** Same seed, same text. Default 1. */
  seed?: number;
  /** Share of rows that repeat an earlier good row exactly (same event_id). Default 0.02. */
  duplicateRate?: number;
  /** Share of rows the pipeline must reject. Default 0.01. */
  badRowRate?: number;
  /** Earliest event time, ISO-8601. Default 2026-01-01T00:00:00.000Z. */
  startTime?: string;
  /** Event times spread uniformly over this many minutes. Default 60. */
  spreadMinutes?: number;
  /** Number of devices (device-001 …). Default 500. */
  devices?: number;
  /** CRLF line ends instead of LF. Default false. */
  crlf?: boolean;
  /**
   * Kinds of bad rows to draw from, uniformly. Default: every kind but 'malformed-quotes', which
   * is opt-in because it makes a plain csv-parse stream (a benchmark baseline) throw.
   */
  badRowKinds?: readonly BadRowKind[];
}

export interface IotCsvExpectation {
  /** Data rows in the file. */
  rows: number;
  /** Rows the pipeline must reject (extract's rejected count). */
  badRows: number;
  /** Good rows that repeat an earlier good row's key. */
  duplicateRows: number;
  /** Distinct keys among good rows: the facts a pipeline loads from this file alone. */
  distinctKeys: number;
}

export interface GeneratedIotCsv {
  /** The CSV text in chunks; every iteration starts over and yields the same text. */
  chunks: Iterable<string>;
  /** Exact counts of the generated file; available before, during and after iteration. */
  expected(): IotCsvExpectation;
}

export const IOT_CSV_HEADER = 'event_id,device_id,device_type,timestamp,event_duration,value,status,location,firmware';

/** Kinds of bad rows, each rejected by a different rule (or by the CSV reader). */
export const BAD_ROW_KINDS = [
  'bad-enum',
  'negative-duration',
  'bad-timestamp',
  'missing-id',
  'wrong-column-count',
  'malformed-quotes',
] as const;
export type BadRowKind = (typeof BAD_ROW_KINDS)[number];
const DEFAULT_BAD_ROW_KINDS: readonly BadRowKind[] = BAD_ROW_KINDS.filter((kind) => kind !== 'malformed-quotes');

const DEVICE_TYPES = ['temperature', 'pressure', 'humidity', 'motion', 'light'] as const;
/** Per device type: log-normal duration (ms) parameters and normal value parameters. */
const PROFILES: Record<
  (typeof DEVICE_TYPES)[number],
  { durationMu: number; durationSigma: number; valueMean: number; valueStddev: number }
> = {
  temperature: { durationMu: 3.0, durationSigma: 0.5, valueMean: 21, valueStddev: 4 },
  pressure: { durationMu: 3.5, durationSigma: 0.6, valueMean: 1013, valueStddev: 8 },
  humidity: { durationMu: 3.2, durationSigma: 0.4, valueMean: 45, valueStddev: 12 },
  motion: { durationMu: 2.0, durationSigma: 1.0, valueMean: 0.5, valueStddev: 0.5 },
  light: { durationMu: 2.8, durationSigma: 0.7, valueMean: 300, valueStddev: 150 },
};
const FIRMWARE = ['1.0.3', '1.2.0', '2.0.1', ''] as const;
const CHUNK_CHARS = 64 * 1024;
/** Duplicates copy one of this many recent good rows: bounded memory, still spread out. */
const RECENT_ROWS = 1024;
const HEX = '0123456789abcdef';

interface ResolvedOptions {
  readonly rows: number;
  readonly seed: number;
  readonly duplicateRate: number;
  readonly badRowRate: number;
  readonly startMs: number;
  readonly spreadMs: number;
  readonly devices: number;
  readonly lineEnd: string;
  readonly badRowKinds: readonly BadRowKind[];
}

function resolve(options: IotCsvOptions): ResolvedOptions {
  const rate = (name: string, value: number) => {
    if (!(value >= 0 && value <= 1)) throw new RangeError(`${name} must be in [0, 1], got ${value}`);
    return value;
  };
  if (!Number.isSafeInteger(options.rows) || options.rows < 0)
    throw new RangeError(`rows must be a non-negative integer, got ${options.rows}`);
  const startMs = Date.parse(options.startTime ?? '2026-01-01T00:00:00.000Z');
  if (Number.isNaN(startMs)) throw new RangeError(`startTime is not an ISO-8601 instant: ${options.startTime}`);
  const devices = options.devices ?? 500;
  if (!Number.isInteger(devices) || devices < 1) throw new RangeError(`devices must be a positive integer, got ${devices}`);
  const duplicateRate = rate('duplicateRate', options.duplicateRate ?? 0.02);
  const badRowRate = rate('badRowRate', options.badRowRate ?? 0.01);
  if (duplicateRate + badRowRate > 1) throw new RangeError('duplicateRate + badRowRate must not exceed 1');
  return {
    rows: options.rows,
    seed: options.seed ?? 1,
    duplicateRate,
    badRowRate,
    startMs,
    spreadMs: Math.max(1, Math.round((options.spreadMinutes ?? 60) * 60_000)),
    devices,
    lineEnd: options.crlf === true ? '\r\n' : '\n',
    badRowKinds: resolveBadRowKinds(options.badRowKinds),
  };
}

function resolveBadRowKinds(kinds: readonly BadRowKind[] | undefined): readonly BadRowKind[] {
  if (kinds === undefined) return DEFAULT_BAD_ROW_KINDS;
  if (kinds.length === 0 || kinds.some((kind) => !BAD_ROW_KINDS.includes(kind))) {
    throw new RangeError(`badRowKinds must be a non-empty list of ${BAD_ROW_KINDS.join(', ')}`);
  }
  return [...kinds];
}

type RowKind = 'good' | 'duplicate' | 'bad';

/**
 * The kind of each row, from its own random stream so that `expected()` can count kinds without
 * generating rows. A duplicate needs an earlier good row; before the first one it is a good row.
 */
function rowKinds(options: ResolvedOptions): () => RowKind {
  const random = seededRandom(options.seed ^ 0x5bd1e995);
  const duplicateBelow = options.badRowRate + options.duplicateRate;
  let goodSoFar = 0;
  return () => {
    const draw = random.next();
    if (draw < options.badRowRate) return 'bad';
    if (draw < duplicateBelow && goodSoFar > 0) return 'duplicate';
    goodSoFar++;
    return 'good';
  };
}

// Lookup tables: number formatting dominates generation time otherwise.
/** Four hex digits of every 16-bit value (~3 MB): one lookup per UUID group. */
const HEX4 = Array.from({ length: 0x10000 }, (_, value) => value.toString(16).padStart(4, '0'));
const TWO_DIGITS = Array.from({ length: 100 }, (_, n) => String(n).padStart(2, '0'));
const THREE_DIGITS = Array.from({ length: 1000 }, (_, n) => String(n).padStart(3, '0'));
const DAY_MS = 86_400_000;

function word(random: SeededRandom): number {
  return Math.floor(random.next() * 0x1_0000_0000);
}

/** `x.toFixed(digits)` for digits 2 or 3, with table lookups instead of number formatting. */
function fixed(x: number, digits: 2 | 3): string {
  const scale = digits === 3 ? 1000 : 100;
  const scaled = Math.round(Math.abs(x) * scale);
  const whole = Math.floor(scaled / scale);
  const fraction = scaled - whole * scale;
  const sign = x < 0 && scaled !== 0 ? '-' : '';
  return `${sign}${whole}.${digits === 3 ? THREE_DIGITS[fraction] : TWO_DIGITS[fraction]}`;
}

/** `new Date(ms).toISOString()`, about ten times faster: the date part is cached per day. */
function isoTimestamp(ms: number, dayCache: { day: number; text: string }): string {
  const day = Math.floor(ms / DAY_MS);
  if (day !== dayCache.day) {
    dayCache.day = day;
    dayCache.text = new Date(day * DAY_MS).toISOString().slice(0, 11);
  }
  let rest = ms - day * DAY_MS;
  const millis = rest % 1000;
  rest = (rest - millis) / 1000;
  const seconds = rest % 60;
  rest = (rest - seconds) / 60;
  const minutes = rest % 60;
  const hours = (rest - minutes) / 60;
  return `${dayCache.text}${TWO_DIGITS[hours]}:${TWO_DIGITS[minutes]}:${TWO_DIGITS[seconds]}.${THREE_DIGITS[millis]}Z`;
}

/** A version-4-shaped UUID whose last group is the row index: unique within a file by design. */
function eventId(random: SeededRandom, index: number): string {
  const a = word(random);
  const b = word(random);
  const variant = HEX[8 + (b & 3)] as string;
  const counter = index < 0x10000 ? `00000000${HEX4[index]}` : index.toString(16).padStart(12, '0');
  const version4 = `4${(HEX4[b & 0xffff] as string).slice(1)}`;
  const variantGroup = `${variant}${(HEX4[(a ^ b) & 0xfff] as string).slice(1)}`;
  return `${HEX4[a >>> 16]}${HEX4[a & 0xffff]}-${HEX4[b >>> 16]}-${version4}-${variantGroup}-${counter}`;
}

interface GoodFields {
  id: string;
  device: string;
  type: string;
  timestamp: string;
  duration: string;
  value: string;
  status: string;
  location: string;
  firmware: string;
}

function goodFields(random: SeededRandom, options: ResolvedOptions, index: number, dayCache: { day: number; text: string }): GoodFields {
  const deviceNumber = 1 + random.int(options.devices);
  const type = DEVICE_TYPES[deviceNumber % DEVICE_TYPES.length] as (typeof DEVICE_TYPES)[number];
  const profile = PROFILES[type];
  const statusDraw = random.next();
  const locationDraw = random.next();
  const building = 1 + (deviceNumber % 7);
  return {
    id: eventId(random, index),
    device: `device-${String(deviceNumber).padStart(3, '0')}`,
    type,
    timestamp: isoTimestamp(options.startMs + random.int(options.spreadMs), dayCache),
    duration: fixed(Math.exp(random.normal(profile.durationMu, profile.durationSigma)), 3),
    value: fixed(random.normal(profile.valueMean, profile.valueStddev), 2),
    status: statusDraw < 0.9 ? 'normal' : statusDraw < 0.98 ? 'warning' : 'critical',
    // Some locations hold a comma, so quoted fields are part of every file.
    location:
      locationDraw < 0.05
        ? `"Building ${building}, floor ${deviceNumber % 4}"`
        : locationDraw < 0.1
          ? ''
          : `building-${building}/floor-${deviceNumber % 4}`,
    firmware: FIRMWARE[deviceNumber % FIRMWARE.length] as string,
  };
}

function line(f: GoodFields): string {
  return `${f.id},${f.device},${f.type},${f.timestamp},${f.duration},${f.value},${f.status},${f.location},${f.firmware}`;
}

/** A row that breaks exactly one rule; built from a good row so everything else is valid. */
function badLine(kind: BadRowKind, f: GoodFields): string {
  switch (kind) {
    case 'bad-enum':
      return line({ ...f, type: 'thermostat' });
    case 'negative-duration':
      return line({ ...f, duration: `-${f.duration}` });
    case 'bad-timestamp':
      return line({ ...f, timestamp: f.timestamp.replace('T', 'X') });
    case 'missing-id':
      return line({ ...f, id: '' });
    case 'wrong-column-count':
      return `${line(f)},extra`;
    case 'malformed-quotes':
      return line({ ...f, location: `"Building 1"x` });
  }
}

function* generateChunks(options: ResolvedOptions): Generator<string> {
  const random = seededRandom(options.seed);
  const recent: string[] = [];
  const dayCache = { day: NaN, text: '' };
  const lines: string[] = [IOT_CSV_HEADER];
  let size = 0;
  const nextKind = rowKinds(options);
  for (let index = 0; index < options.rows; index++) {
    const kind = nextKind();
    let row: string;
    if (kind === 'duplicate') {
      row = recent[random.int(recent.length)] as string;
    } else {
      const fields = goodFields(random, options, index, dayCache);
      if (kind === 'bad') {
        row = badLine(options.badRowKinds[random.int(options.badRowKinds.length)] as BadRowKind, fields);
      } else {
        row = line(fields);
        if (recent.length < RECENT_ROWS) recent.push(row);
        else recent[random.int(RECENT_ROWS)] = row;
      }
    }
    lines.push(row);
    size += row.length;
    if (size >= CHUNK_CHARS) {
      lines.push('');
      yield lines.join(options.lineEnd);
      lines.length = 0;
      size = 0;
    }
  }
  if (lines.length > 0) {
    lines.push('');
    yield lines.join(options.lineEnd);
  }
}

/** Deterministic IoT events CSV: the same options give the same text and the same expectation. */
export function generateIotCsv(options: IotCsvOptions): GeneratedIotCsv {
  const resolved = resolve(options);
  let expectation: IotCsvExpectation | undefined;
  return {
    chunks: { [Symbol.iterator]: () => generateChunks(resolved) },
    expected: () => {
      if (expectation === undefined) {
        let badRows = 0;
        let duplicateRows = 0;
        const nextKind = rowKinds(resolved);
        for (let index = 0; index < resolved.rows; index++) {
          const kind = nextKind();
          if (kind === 'bad') badRows++;
          else if (kind === 'duplicate') duplicateRows++;
        }
        const good = resolved.rows - badRows - duplicateRows;
        expectation = { rows: resolved.rows, badRows, duplicateRows, distinctKeys: good };
      }
      return { ...expectation };
    },
  };
}

/** Writes a generated file to `path` (streamed: memory does not grow with rows); its counts, and its size in bytes. */
export async function writeIotCsvFile(path: string, options: IotCsvOptions): Promise<IotCsvExpectation & { readonly bytes: number }> {
  const generated = generateIotCsv(options);
  let bytes = 0;
  await pipeline(function* () {
    for (const chunk of generated.chunks) {
      bytes += Buffer.byteLength(chunk);
      yield chunk;
    }
  }, createWriteStream(path));
  return { ...generated.expected(), bytes };
}
