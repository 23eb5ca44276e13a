/**
 * Timer schedules: six-field NCRONTAB (`{second} {minute} {hour} {day} {month} {day-of-week}`) or a
 * TimeSpan (`hh:mm:ss`, a fixed interval), in UTC as in Azure without WEBSITE_TIME_ZONE. The cron
 * arithmetic is croner's; this module only holds croner to what NCRONTAB accepts and means
 * (docs/functions-host.md, "Timer trigger"): exactly six fields, day and day-of-week both matching,
 * day-of-week 0-6, English names or their prefixes, none of croner's `?`, `L`, `W` and `#`.
 */
import { Cron, type CronOptions } from 'croner';
import { HostError } from '../host-error.js';
import { parseTimeSpan } from '../host-json.js';

export interface Schedule {
  /** The first occurrence strictly after `after`. */
  next(after: Date): Date;
}

const FIELD_NAMES = ['second', 'minute', 'hour', 'day', 'month', 'day-of-week'] as const;
const MONTH_FIELD = 4;
const DAY_OF_WEEK_FIELD = 5;
const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

/** Six fields, seconds first; day and day-of-week ANDed; `5/15` means 5 to the end, every 15. */
const CRON_OPTIONS: CronOptions = { timezone: 'UTC', mode: '6-part', domAndDow: true, sloppyRanges: true };

function invalid(expression: string, why: string): HostError {
  return new HostError('INVALID_CONFIG', `Timer schedule "${expression}" is invalid: ${why}.`);
}

/**
 * One field in the form croner reads: names become numbers. NCrontab takes the first name (in
 * calendar order) that starts with the word, ignoring case, so `Augu`, `SEPT` and `DECEM` are months.
 */
function normaliseField(text: string, index: number, expression: string): string {
  const field = FIELD_NAMES[index] as string;
  const names = index === MONTH_FIELD ? MONTHS : index === DAY_OF_WEEK_FIELD ? DAYS : [];
  const numeric = text.replace(/[a-z]+/gi, (word) => {
    const position = names.findIndex((name) => name.startsWith(word.toLowerCase()));
    if (position < 0)
      throw invalid(expression, `${field} "${text}" holds "${word}", which is not ${names.length > 0 ? `a ${field} name` : 'a number'}`);
    return String(index === MONTH_FIELD ? position + 1 : position);
  });
  if (!/^[0-9*,/-]+$/.test(numeric)) throw invalid(expression, `${field} "${text}" may hold only numbers, names, '*', ',', '-' and '/'`);
  if (index === DAY_OF_WEEK_FIELD) {
    // croner reads 7 as Sunday; NCrontab knows 0-6 only. A step (after '/') is not a day.
    const days = numeric.split(',').flatMap((part) => (part.split('/')[0] ?? '').split('-'));
    if (days.some((day) => Number(day) > 6)) throw invalid(expression, `day-of-week "${text}" is outside 0-6 (Sunday is 0)`);
  }
  return numeric;
}

export function parseSchedule(expression: string): Schedule {
  const trimmed = expression.trim();
  if (/^(\d+\.)?\d{1,2}:\d{1,2}:\d{1,2}$/.test(trimmed)) {
    const intervalMs = parseTimeSpan(trimmed);
    if (intervalMs <= 0) throw invalid(expression, 'the interval must be positive');
    return { next: (after) => new Date(after.getTime() + intervalMs) };
  }
  const fields = trimmed.split(/\s+/);
  if (fields.length !== 6) throw invalid(expression, `expected 6 fields (second minute hour day month day-of-week), got ${fields.length}`);
  let cron: Cron;
  try {
    cron = new Cron(fields.map((field, index) => normaliseField(field, index, expression)).join(' '), CRON_OPTIONS);
  } catch (error) {
    if (error instanceof HostError) throw error;
    throw invalid(expression, (error as Error).message.replace(/^CronPattern: /, ''));
  }
  // A schedule such as 30 February parses but never fires: fail at start, like a syntax error.
  if (cron.nextRun(new Date()) === null) throw invalid(expression, 'it never fires');
  return {
    next(after) {
      const next = cron.nextRun(after);
      if (next === null) throw invalid(expression, 'it never fires');
      return next;
    },
  };
}
