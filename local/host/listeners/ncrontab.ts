/**
 * Timer schedules: six-field NCRONTAB (`{second} {minute} {hour} {day} {month} {day-of-week}`)
 * with `*`, `*\/N`, lists, ranges, stepped ranges and English month/day names, or a TimeSpan
 * (`hh:mm:ss`, a fixed interval). Times are UTC, as in Azure without WEBSITE_TIME_ZONE. Day and
 * day-of-week must both match, as in NCrontab.
 */
import { EtlError } from '../../../shared/errors/etl-error.js';
import { parseTimeSpan } from '../host-json.js';

export interface Schedule {
  /** The first occurrence strictly after `after`. */
  next(after: Date): Date;
}

const FIELDS = [
  { name: 'second', min: 0, max: 59 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'] },
  { name: 'day-of-week', min: 0, max: 6, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] },
] as const;

function invalid(expression: string, why: string): EtlError {
  return new EtlError('INVALID_CONFIG', `Timer schedule "${expression}" is invalid: ${why}.`);
}

function parseField(text: string, field: (typeof FIELDS)[number], expression: string): ReadonlySet<number> {
  const names: readonly string[] = 'names' in field ? field.names : [];
  const value = (token: string): number => {
    const byName = names.indexOf(token.toLowerCase());
    const number = byName >= 0 ? byName + field.min : Number(token);
    // Day-of-week 7 is Sunday too.
    const normalised = field.name === 'day-of-week' && number === 7 ? 0 : number;
    if (!Number.isInteger(normalised) || normalised < field.min || normalised > field.max) {
      throw invalid(expression, `${field.name} "${token}" is outside ${field.min}-${field.max}`);
    }
    return normalised;
  };
  const result = new Set<number>();
  for (const part of text.split(',')) {
    const [range, stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1 || range === undefined || range === '') {
      throw invalid(expression, `${field.name} "${part}" has a bad step`);
    }
    let from: number;
    let to: number;
    if (range === '*') {
      from = field.min;
      to = field.max;
    } else if (range.includes('-')) {
      const [low, high] = range.split('-');
      from = value(low ?? '');
      to = value(high ?? '');
      if (from > to) throw invalid(expression, `${field.name} range "${range}" runs backwards`);
    } else {
      from = value(range);
      to = stepText === undefined ? from : field.max;
    }
    for (let current = from; current <= to; current += step) result.add(current);
  }
  return result;
}

export function parseSchedule(expression: string): Schedule {
  const trimmed = expression.trim();
  if (/^(\d+\.)?\d{1,2}:\d{1,2}:\d{1,2}$/.test(trimmed)) {
    const intervalMs = parseTimeSpan(trimmed);
    if (intervalMs <= 0) throw invalid(expression, 'the interval must be positive');
    return { next: (after) => new Date(after.getTime() + intervalMs) };
  }
  const parts = trimmed.split(/\s+/);
  if (parts.length !== 6) throw invalid(expression, `expected 6 fields (second minute hour day month day-of-week), got ${parts.length}`);
  const [seconds, minutes, hours, days, months, weekdays] = FIELDS.map((field, index) => parseField(parts[index] as string, field, expression)) as [
    ReadonlySet<number>,
    ReadonlySet<number>,
    ReadonlySet<number>,
    ReadonlySet<number>,
    ReadonlySet<number>,
    ReadonlySet<number>,
  ];
  return {
    next(after) {
      const t = new Date(Math.floor(after.getTime() / 1000) * 1000 + 1000);
      // Skip whole months, days, hours and minutes that cannot match; five years bounds impossible dates (Feb 30).
      const limit = after.getTime() + 5 * 366 * 24 * 3600 * 1000;
      while (t.getTime() <= limit) {
        if (!months.has(t.getUTCMonth() + 1)) {
          t.setUTCMonth(t.getUTCMonth() + 1, 1);
          t.setUTCHours(0, 0, 0, 0);
        } else if (!days.has(t.getUTCDate()) || !weekdays.has(t.getUTCDay())) {
          t.setUTCDate(t.getUTCDate() + 1);
          t.setUTCHours(0, 0, 0, 0);
        } else if (!hours.has(t.getUTCHours())) {
          t.setUTCHours(t.getUTCHours() + 1, 0, 0, 0);
        } else if (!minutes.has(t.getUTCMinutes())) {
          t.setUTCMinutes(t.getUTCMinutes() + 1, 0, 0);
        } else if (!seconds.has(t.getUTCSeconds())) {
          t.setUTCSeconds(t.getUTCSeconds() + 1, 0);
        } else {
          return new Date(t.getTime());
        }
      }
      throw invalid(expression, 'it never fires');
    },
  };
}
