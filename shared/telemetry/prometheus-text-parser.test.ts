import { describe, expect, it } from 'vitest';
import { parsePrometheusText, sampleValue, sumOf } from './prometheus-text-parser.js';

const VALID = [
  '# HELP jobs_total Jobs done.',
  '# TYPE jobs_total counter',
  'jobs_total{kind="a",note="say \\"hi\\"\\nback\\\\slash"} 3',
  'jobs_total{kind="b"} 4 1700000000000',
  '# TYPE wait_seconds histogram',
  'wait_seconds_bucket{le="0.5"} 1',
  'wait_seconds_bucket{le="+Inf"} 2',
  'wait_seconds_sum 1.25e0',
  'wait_seconds_count 2',
  '# a free comment',
  '',
].join('\n');

describe('parsePrometheusText', () => {
  it('reads samples, labels with escapes, timestamps, histograms and special values', () => {
    const parsed = parsePrometheusText(VALID);
    expect(parsed.types.get('jobs_total')).toBe('counter');
    expect(parsed.help.get('jobs_total')).toBe('Jobs done.');
    expect(sampleValue(parsed, 'jobs_total', { kind: 'a', note: 'say "hi"\nback\\slash' })).toBe(3);
    expect(sumOf(parsed, 'jobs_total')).toBe(7);
    expect(sampleValue(parsed, 'wait_seconds_sum')).toBe(1.25);
    expect(sampleValue(parsed, 'wait_seconds_bucket', { le: '+Inf' })).toBe(2);
  });

  it("reads Inf and NaN in any case, as Go's ParseFloat (and so Prometheus) does", () => {
    const parsed = parsePrometheusText('# TYPE g gauge\ng{v="a"} Nan\ng{v="b"} -inf\ng{v="c"} +Infinity\ng{v="d"} NaN\n');
    expect(sampleValue(parsed, 'g', { v: 'a' })).toBeNaN();
    expect(sampleValue(parsed, 'g', { v: 'b' })).toBe(Number.NEGATIVE_INFINITY);
    expect(sampleValue(parsed, 'g', { v: 'c' })).toBe(Number.POSITIVE_INFINITY);
    expect(sampleValue(parsed, 'g', { v: 'd' })).toBeNaN();
  });

  it.each([
    ['no final line feed', VALID.trimEnd()],
    ['a sample before its TYPE', 'jobs_total 1\n# TYPE jobs_total counter\n'],
    ['a sample without any TYPE', 'mystery 1\n'],
    ['a TYPE twice', '# TYPE a counter\n# TYPE a counter\n'],
    ['an unknown type', '# TYPE a meter\n'],
    ['an unquoted label value', '# TYPE a counter\na{k=v} 1\n'],
    ['an unknown escape', '# TYPE a counter\na{k="\\t"} 1\n'],
    ['a label twice', '# TYPE a counter\na{k="1",k="2"} 1\n'],
    ['a value that is not a number', '# TYPE a counter\na one\n'],
    ['a value that only starts like a number', '# TYPE a counter\na 1x\n'],
    ['a spelt-out infinity with a typo', '# TYPE a counter\na infinit\n'],
    ['buckets that decrease', '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_count 1\n'],
    ['no +Inf bucket', '# TYPE h histogram\nh_bucket{le="1"} 2\nh_count 2\n'],
    ['a _count that differs from +Inf', '# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_count 3\n'],
  ])('refuses %s', (_what, text) => {
    expect(() => parsePrometheusText(text)).toThrow();
  });
});
