import { describe, expect, it } from 'vitest';
import { PrometheusPipelineMetrics } from './prometheus-pipeline-metrics.js';
import { METRIC_NAMES, metricSpec } from './metric-names.js';
import { parsePrometheusText, sampleValue, sumOf } from './prometheus-text-parser.js';

describe('PrometheusPipelineMetrics', () => {
  it('renders every metric of the list with HELP and TYPE, even before anything is recorded', () => {
    const parsed = parsePrometheusText(new PrometheusPipelineMetrics().render());
    expect([...parsed.types.keys()]).toEqual(METRIC_NAMES);
    for (const name of METRIC_NAMES) {
      expect(parsed.types.get(name)).toBe(metricSpec(name).kind);
      expect(parsed.help.get(name)).toBe(metricSpec(name).help);
    }
    // Label-less metrics start at zero; labelled ones have no series yet.
    expect(sampleValue(parsed, 'etl_outbox_relayed_total')).toBe(0);
    expect(sampleValue(parsed, 'etl_transform_batch_seconds_count')).toBe(0);
    expect(parsed.samples.some((sample) => sample.name === 'etl_rows_extracted_total')).toBe(false);
  });

  it('adds counter increments per label set and keeps gauges at their last value', () => {
    const metrics = new PrometheusPipelineMetrics();
    metrics.increment('etl_rows_extracted_total', { dataset: 'iot_events' }, 1000);
    metrics.increment('etl_rows_extracted_total', { dataset: 'iot_events' }, 250);
    metrics.increment('etl_rows_extracted_total', { dataset: 'sales' }, 7);
    metrics.increment('etl_dead_letters_total', { stage: 'transform' });
    metrics.increment('etl_dead_letters_total', { stage: 'transform' });
    metrics.increment('etl_dead_letters_total', { stage: 'transform' }, -5); // dropped: counters only go up
    metrics.set('etl_last_batch_timestamp_seconds', { stage: 'aggregate' }, 100);
    metrics.set('etl_last_batch_timestamp_seconds', { stage: 'aggregate' }, 1_763_770_000.25);
    const parsed = parsePrometheusText(metrics.render());
    expect(sampleValue(parsed, 'etl_rows_extracted_total', { dataset: 'iot_events' })).toBe(1250);
    expect(sampleValue(parsed, 'etl_rows_extracted_total', { dataset: 'sales' })).toBe(7);
    expect(sampleValue(parsed, 'etl_dead_letters_total', { stage: 'transform' })).toBe(2);
    expect(sampleValue(parsed, 'etl_last_batch_timestamp_seconds', { stage: 'aggregate' })).toBe(1_763_770_000.25);
    expect(metrics.value('etl_rows_extracted_total', { dataset: 'sales' })).toBe(7);
    expect(metrics.value('etl_rows_valid_total', { dataset: 'sales' })).toBeUndefined();
  });

  it('puts histogram observations in cumulative buckets with _sum and _count', () => {
    const metrics = new PrometheusPipelineMetrics();
    for (const seconds of [0.003, 0.005, 0.2, 0.2, 7, 1000]) metrics.observe('etl_transform_batch_seconds', {}, seconds);
    metrics.observe('etl_batch_events', { stage: 'transform' }, 64);
    const parsed = parsePrometheusText(metrics.render());
    const bucket = (le: string) => sampleValue(parsed, 'etl_transform_batch_seconds_bucket', { le });
    expect(bucket('0.005')).toBe(2); // le is inclusive
    expect(bucket('0.1')).toBe(2);
    expect(bucket('0.25')).toBe(4);
    expect(bucket('10')).toBe(5);
    expect(bucket('300')).toBe(5);
    expect(bucket('+Inf')).toBe(6);
    expect(sampleValue(parsed, 'etl_transform_batch_seconds_count')).toBe(6);
    expect(sampleValue(parsed, 'etl_transform_batch_seconds_sum')).toBeCloseTo(1007.408, 9);
    expect(sampleValue(parsed, 'etl_batch_events_bucket', { stage: 'transform', le: '50' })).toBe(0);
    expect(sampleValue(parsed, 'etl_batch_events_bucket', { stage: 'transform', le: '100' })).toBe(1);
    expect(sumOf(parsed, 'etl_batch_events_count')).toBe(1);
  });

  it('escapes label values so that quotes, backslashes and line feeds survive a scrape', () => {
    const metrics = new PrometheusPipelineMetrics();
    const awkward = 'a "quoted" back\\slash\nand a new line';
    metrics.increment('etl_rows_rejected_total', { dataset: awkward }, 3);
    const text = metrics.render();
    expect(text.split('\n').filter((line) => line.startsWith('etl_rows_rejected_total'))).toHaveLength(1);
    expect(sampleValue(parsePrometheusText(text), 'etl_rows_rejected_total', { dataset: awkward })).toBe(3);
  });

  it('renders series of one metric in a stable order, whatever the recording order', () => {
    const first = new PrometheusPipelineMetrics();
    const second = new PrometheusPipelineMetrics();
    for (const dataset of ['b', 'a', 'c']) first.increment('etl_facts_loaded_total', { dataset }, 1);
    for (const dataset of ['c', 'b', 'a']) second.increment('etl_facts_loaded_total', { dataset }, 1);
    expect(first.render()).toBe(second.render());
  });
});
