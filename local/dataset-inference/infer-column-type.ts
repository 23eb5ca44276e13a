/**
 * The type of one column from its sampled values. Candidate declarations are tried from the
 * narrowest (boolean, uuid, integer, number, date, timestamp) to `string`, and a candidate is taken
 * only when the pipeline's own column checker (`compileColumnChecker`) accepts every sampled value:
 * a draft never declares a rule that rejects a value it was inferred from.
 */
import type { ColumnDeclaration, ThousandsSeparator } from '../../shared/datasets/dataset-declaration.js';
import { compileColumnChecker, Rejection } from '../../shared/validation/column-checker.js';

/** What the sample says about one column. */
export interface ColumnProfile {
  /** Non-empty values (trimmed), in file order. */
  readonly values: readonly string[];
  /** Empty fields. */
  readonly empty: number;
  /** Distinct non-empty values. */
  readonly distinct: number;
  /** Longest non-empty value, in UTF-16 code units (what `maxLength` counts). */
  readonly longest: number;
}

export function profileColumn(fields: readonly string[]): ColumnProfile {
  const values: string[] = [];
  let longest = 0;
  for (const field of fields) {
    const value = field.trim();
    if (value === '') continue;
    values.push(value);
    if (value.length > longest) longest = value.length;
  }
  return { values, empty: fields.length - values.length, distinct: new Set(values).size, longest };
}

/** A column's inferred type fields (no name, header or `required`), and why. */
export interface InferredType {
  readonly declaration: Omit<ColumnDeclaration, 'name' | 'header' | 'required'>;
  readonly reason: string;
}

export interface TypeInferenceOptions {
  /** IANA zone for timestamps written without an offset. */
  readonly timeZone: string;
}

/** Date formats (Luxon tokens; one-letter tokens also read zero-padded values), tried in this order. */
export const DATE_FORMATS = [
  'yyyy/M/d',
  'M/d/yyyy',
  'd/M/yyyy',
  'd.M.yyyy',
  'd-M-yyyy',
  'MMM d yyyy',
  'MMM d, yyyy',
  'd MMM yyyy',
  'MMMM d, yyyy',
  'd MMMM yyyy',
  'yyyyMMdd',
] as const;

/** Timestamp formats without an offset, tried in this order (ISO-8601 is tried before all of them). */
export const TIMESTAMP_FORMATS = [
  'yyyy-M-d H:mm:ss.SSS',
  'yyyy-M-d H:mm:ss',
  'yyyy-M-d H:mm',
  'yyyy/M/d H:mm:ss',
  'yyyy/M/d H:mm',
  'M/d/yyyy H:mm:ss',
  'M/d/yyyy H:mm',
  'M/d/yyyy h:mm:ss a',
  'M/d/yyyy h:mm a',
  'd/M/yyyy H:mm:ss',
  'd/M/yyyy H:mm',
  'd.M.yyyy H:mm:ss',
  'd.M.yyyy H:mm',
  'MMM d yyyy H:mm:ss',
  'MMM d yyyy H:mm',
  'd MMM yyyy H:mm:ss',
  'd-MMM-yyyy H:mm:ss',
] as const;

/** Boolean words a column may be written in, beyond the default true/false/1/0/yes/no. */
const BOOLEAN_WORDS: readonly (readonly [string, string])[] = [
  ['y', 'n'],
  ['t', 'f'],
  ['on', 'off'],
];

const IDENTIFIER_DIGITS = /^[+-]?0\d/;

/** Whether the pipeline's checker for `declaration` accepts every value. */
function acceptsAll(declaration: Omit<ColumnDeclaration, 'name'>, values: readonly string[]): boolean {
  const check = compileColumnChecker({ ...declaration, name: 'column' } as ColumnDeclaration);
  for (const value of values) if (check(value) instanceof Rejection) return false;
  return true;
}

/** The first format under which every value reads; else the formats that together read them all, in list order. */
function formatsFor(
  type: 'date' | 'timestamp',
  formats: readonly string[],
  values: readonly string[],
  timeZone?: string,
): string[] | undefined {
  const extra = type === 'timestamp' ? { timeZone } : {};
  const single = formats.find((format) => acceptsAll({ type, formats: [format], ...extra }, values));
  if (single !== undefined) return [single];
  // Several formats in one column (files appended from different exports): each value by the first that reads it.
  const used = new Set<string>();
  for (const value of values) {
    const format = formats.find((candidate) => acceptsAll({ type, formats: [candidate], ...extra }, [value]));
    if (format === undefined) return undefined;
    used.add(format);
    if (used.size > 4) return undefined;
  }
  const ordered = formats.filter((format) => used.has(format));
  return acceptsAll({ type, formats: ordered, ...extra }, values) ? ordered : undefined;
}

function numberType(values: readonly string[]): InferredType | undefined {
  // Leading zeros (zip codes, account numbers) are identifiers: a number would drop them.
  if (values.some((value) => IDENTIFIER_DIGITS.test(value))) return undefined;
  // More than 15 significant digits do not survive a double.
  if (values.some((value) => value.replace(/[^0-9]/g, '').replace(/^0+/, '').length > 15 && !/[.,eE]/.test(value))) return undefined;
  if (acceptsAll({ type: 'integer' }, values)) return { declaration: { type: 'integer' }, reason: 'whole numbers' };
  if (acceptsAll({ type: 'number' }, values)) return { declaration: { type: 'number' }, reason: 'decimal numbers' };
  const separators: readonly { decimalSeparator?: '.' | ','; thousandsSeparator?: ThousandsSeparator }[] = [
    { thousandsSeparator: ',' },
    { decimalSeparator: ',' },
    { decimalSeparator: ',', thousandsSeparator: '.' },
    { decimalSeparator: ',', thousandsSeparator: ' ' },
    { decimalSeparator: ',', thousandsSeparator: '\u00a0' },
    { decimalSeparator: ',', thousandsSeparator: '\u202f' },
    { thousandsSeparator: ' ' },
    { thousandsSeparator: "'" },
    { thousandsSeparator: '_' },
    { decimalSeparator: '.', thousandsSeparator: '\u00a0' },
  ];
  for (const type of ['integer', 'number'] as const) {
    for (const separator of separators) {
      if (
        type === 'integer' &&
        separator.decimalSeparator === ',' &&
        !values.some((value) => value.includes(separator.thousandsSeparator ?? '\u0000'))
      )
        continue;
      if (acceptsAll({ type, ...separator }, values)) {
        const parts = [
          separator.decimalSeparator === ',' ? 'decimal comma' : undefined,
          separator.thousandsSeparator === undefined ? undefined : `thousands grouped with ${JSON.stringify(separator.thousandsSeparator)}`,
        ].filter((part) => part !== undefined);
        return {
          declaration: { type, ...separator },
          reason: `${type === 'integer' ? 'whole numbers' : 'decimal numbers'}, ${parts.join(', ')}`,
        };
      }
    }
  }
  return undefined;
}

function booleanType(values: readonly string[]): InferredType | undefined {
  const words = new Set(values.map((value) => value.toLowerCase()));
  // 0/1 alone is more often a count or a flag column people sum: left to integer.
  if ([...words].every((word) => word === '0' || word === '1')) return undefined;
  if ([...words].every((word) => ['true', 'false', 'yes', 'no', '1', '0'].includes(word)))
    return { declaration: { type: 'boolean' }, reason: `only ${[...words].sort().join('/')}` };
  for (const [yes, no] of BOOLEAN_WORDS) {
    if ([...words].every((word) => word === yes || word === no)) {
      const shown = (word: string) => values.find((value) => value.toLowerCase() === word) ?? word;
      return {
        declaration: { type: 'boolean', trueValues: [shown(yes)], falseValues: [shown(no)] },
        reason: `only ${shown(yes)}/${shown(no)}`,
      };
    }
  }
  return undefined;
}

function temporalType(values: readonly string[], options: TypeInferenceOptions): InferredType | undefined {
  if (acceptsAll({ type: 'date' }, values)) return { declaration: { type: 'date' }, reason: 'ISO dates (yyyy-MM-dd)' };
  if (acceptsAll({ type: 'timestamp' }, values)) return { declaration: { type: 'timestamp' }, reason: 'ISO timestamps with an offset' };
  if (acceptsAll({ type: 'timestamp', timeZone: options.timeZone }, values)) {
    return {
      declaration: { type: 'timestamp', timeZone: options.timeZone },
      reason: `ISO timestamps without an offset: read in ${options.timeZone}`,
    };
  }
  const dateFormats = formatsFor('date', DATE_FORMATS, values);
  if (dateFormats !== undefined) {
    const ambiguous =
      dateFormats.some((format) => format.startsWith('M/d') || format.startsWith('d/M')) &&
      values.every((value) => /^\s*([1-9]|1[0-2]|0[1-9])[/]([1-9]|1[0-2]|0[1-9])[/]/.test(value));
    return {
      declaration: { type: 'date', formats: dateFormats },
      reason: `dates in ${dateFormats.join(' or ')}${ambiguous ? ' (day and month are both ≤ 12 everywhere: check which comes first)' : ''}`,
    };
  }
  const timestampFormats = formatsFor('timestamp', TIMESTAMP_FORMATS, values, options.timeZone);
  if (timestampFormats !== undefined) {
    return {
      declaration: { type: 'timestamp', formats: timestampFormats, timeZone: options.timeZone },
      reason: `timestamps in ${timestampFormats.join(' or ')}, read in ${options.timeZone}`,
    };
  }
  // A timestamp column where some values carry an offset and others do not.
  return undefined;
}

/**
 * The narrowest type that reads every sampled value. Strings get no `maxLength` here: the caller
 * sizes them, knowing which columns are keys and dimensions.
 */
export function inferColumnType(profile: ColumnProfile, options: TypeInferenceOptions): InferredType {
  const { values } = profile;
  if (values.length === 0) return { declaration: { type: 'string' }, reason: 'always empty in the sample' };
  const found =
    booleanType(values) ??
    (acceptsAll({ type: 'uuid' }, values) ? { declaration: { type: 'uuid' as const }, reason: 'UUIDs' } : undefined) ??
    numberType(values) ??
    temporalType(values, options);
  if (found !== undefined) return found;
  const leadingZeros = values.some((value) => IDENTIFIER_DIGITS.test(value)) && acceptsAll({ type: 'integer' }, values);
  return { declaration: { type: 'string' }, reason: leadingZeros ? 'digits with leading zeros: kept as text' : 'text' };
}
