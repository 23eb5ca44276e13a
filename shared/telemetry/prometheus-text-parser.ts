/**
 * A strict little reader of the Prometheus text format 0.0.4, for the tests and the load-test
 * collectors that read `/api/metrics`: it throws on any line a Prometheus server would refuse, and
 * checks the rules a scraper relies on (TYPE before samples and once per name, histogram buckets
 * cumulative and ending in `+Inf` equal to `_count`).
 */

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface ParsedExposition {
  readonly types: ReadonlyMap<string, string>;
  readonly help: ReadonlyMap<string, string>;
  readonly samples: readonly Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const HISTOGRAM_SUFFIXES = ['_bucket', '_sum', '_count'] as const;

/** A float as Go's ParseFloat reads it, which is what Prometheus uses: Inf and NaN in any case (prom-client writes `Nan`). */
function parseValue(text: string, line: string): number {
  const infinity = /^([+-]?)inf(inity)?$/i.exec(text);
  if (infinity) return infinity[1] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  if (/^nan$/i.test(text)) return Number.NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) throw new Error(`bad sample value '${text}' in: ${line}`);
  return Number(text);
}

/** Labels from just after `{` to the closing `}`; returns them and the index after `}`. */
function parseLabels(line: string, start: number): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  let index = start;
  for (;;) {
    if (line[index] === '}') return { labels, end: index + 1 };
    const eq = line.indexOf('=', index);
    const name = line.slice(index, eq);
    if (eq < 0 || !LABEL_NAME.test(name) || line[eq + 1] !== '"') throw new Error(`bad label at ${index} in: ${line}`);
    if (name in labels) throw new Error(`label ${name} twice in: ${line}`);
    let value = '';
    index = eq + 2;
    for (;;) {
      const char = line[index];
      if (char === undefined) throw new Error(`unterminated label value in: ${line}`);
      if (char === '"') break;
      if (char === '\\') {
        const next = line[index + 1];
        if (next === 'n') value += '\n';
        else if (next === '\\' || next === '"') value += next;
        else throw new Error(`bad escape in: ${line}`);
        index += 2;
        continue;
      }
      value += char;
      index += 1;
    }
    labels[name] = value;
    index += 1;
    if (line[index] === ',') index += 1;
    else if (line[index] !== '}') throw new Error(`expected , or } at ${index} in: ${line}`);
  }
}

function familyOf(name: string, types: ReadonlyMap<string, string>): string | undefined {
  if (types.has(name)) return name;
  for (const suffix of HISTOGRAM_SUFFIXES) {
    const base = name.endsWith(suffix) ? name.slice(0, -suffix.length) : undefined;
    if (base && (types.get(base) === 'histogram' || types.get(base) === 'summary')) return base;
  }
  return undefined;
}

function checkHistograms(parsed: ParsedExposition): void {
  const groups = new Map<string, Sample[]>();
  for (const sample of parsed.samples) {
    if (!sample.name.endsWith('_bucket')) continue;
    const { le: _le, ...rest } = sample.labels;
    const key = `${sample.name}${JSON.stringify(rest)}`;
    groups.set(key, [...(groups.get(key) ?? []), sample]);
  }
  for (const [key, buckets] of groups) {
    let previousBound = Number.NEGATIVE_INFINITY;
    let previousCount = 0;
    for (const bucket of buckets) {
      const bound = parseValue(bucket.labels.le ?? '', key);
      if (!(bound > previousBound) || bucket.value < previousCount)
        throw new Error(`histogram ${key}: buckets not ascending and cumulative`);
      previousBound = bound;
      previousCount = bucket.value;
    }
    if (previousBound !== Number.POSITIVE_INFINITY) throw new Error(`histogram ${key}: no +Inf bucket`);
    const base = buckets[0]!.name.slice(0, -'_bucket'.length);
    const { le: _le, ...labels } = buckets[0]!.labels;
    const count = parsed.samples.find(
      (sample) => sample.name === `${base}_count` && JSON.stringify(sample.labels) === JSON.stringify(labels),
    );
    if (count?.value !== previousCount)
      throw new Error(`histogram ${key}: _count ${count?.value} differs from the +Inf bucket ${previousCount}`);
  }
}

export function parsePrometheusText(text: string): ParsedExposition {
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a line feed');
  const types = new Map<string, string>();
  const help = new Map<string, string>();
  const samples: Sample[] = [];
  const seen = new Set<string>();
  for (const line of text.slice(0, -1).split('\n')) {
    if (line.startsWith('#')) {
      const match = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!match) continue; // other comments are allowed
      const [, keyword, name, rest] = match as unknown as [string, string, string, string];
      if (!METRIC_NAME.test(name)) throw new Error(`bad metric name in: ${line}`);
      if (keyword === 'TYPE') {
        if (types.has(name)) throw new Error(`TYPE twice for ${name}`);
        if (seen.has(name)) throw new Error(`TYPE after samples of ${name}`);
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest)) throw new Error(`bad type in: ${line}`);
        types.set(name, rest);
      } else {
        help.set(name, rest.replace(/\\n/g, '\n').replace(/\\\\/g, '\\'));
      }
      continue;
    }
    if (line.trim() === '') continue;
    const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
    if (!nameMatch) throw new Error(`bad sample line: ${line}`);
    const name = nameMatch[0];
    let rest = line.slice(name.length);
    let labels: Record<string, string> = {};
    if (rest.startsWith('{')) {
      const parsed = parseLabels(rest, 1);
      labels = parsed.labels;
      rest = rest.slice(parsed.end);
    }
    const fields = rest.trim().split(/\s+/);
    if (!rest.startsWith(' ') || fields.length < 1 || fields.length > 2) throw new Error(`bad sample line: ${line}`);
    const family = familyOf(name, types);
    if (family === undefined) throw new Error(`sample of ${name} without a TYPE line before it`);
    seen.add(family);
    samples.push({ name, labels, value: parseValue(fields[0]!, line) });
  }
  const parsed = { types, help, samples };
  checkHistograms(parsed);
  return parsed;
}

/** The value of one series (labels must match exactly), or undefined. */
export function sampleValue(parsed: ParsedExposition, name: string, labels: Readonly<Record<string, string>> = {}): number | undefined {
  const wanted = JSON.stringify(Object.entries(labels).sort());
  return parsed.samples.find((sample) => sample.name === name && JSON.stringify(Object.entries(sample.labels).sort()) === wanted)?.value;
}

/** The sum over every series of a name whose labels include `labels`. */
export function sumOf(parsed: ParsedExposition, name: string, labels: Readonly<Record<string, string>> = {}): number {
  return parsed.samples
    .filter((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value))
    .reduce((sum, sample) => sum + sample.value, 0);
}

/** GET a `/api/metrics` URL (the local host, or a pod through `kubectl port-forward`) and parse it. */
export async function scrapeMetrics(metricsUrl: string, signal?: AbortSignal): Promise<ParsedExposition> {
  const response = await fetch(metricsUrl, { signal, headers: { accept: 'text/plain; version=0.0.4' } });
  if (!response.ok) throw new Error(`GET ${metricsUrl}: HTTP ${response.status}`);
  return parsePrometheusText(await response.text());
}
