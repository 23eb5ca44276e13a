import { describe, expect, it } from 'vitest';
import { PrometheusPipelineMetrics } from './prometheus-pipeline-metrics.js';
import { METRIC_NAMES, PROCESS_METRIC_NAMES, metricSpec } from './metric-names.js';
import { parsePrometheusText, sampleValue, sumOf } from './prometheus-text-parser.js';

const parsed = async (metrics: PrometheusPipelineMetrics) => parsePrometheusText(await metrics.render());

describe('PrometheusPipelineMetrics', () => {
  it('renders every metric of the list with HELP and TYPE, even before anything is recorded', async () => {
    const metrics = await parsed(new PrometheusPipelineMetrics());
    expect([...metrics.types.keys()]).toEqual(METRIC_NAMES);
    for (const name of METRIC_NAMES) {
      expect(metrics.types.get(name)).toBe(metricSpec(name).kind);
      expect(metrics.help.get(name)).toBe(metricSpec(name).help);
    }
    // Label-less metrics start at zero; labelled ones have no series yet.
    expect(sampleValue(metrics, 'etl_outbox_relayed_total')).toBe(0);
    expect(sampleValue(metrics, 'etl_transform_batch_seconds_count')).toBe(0);
    expect(sampleValue(metrics, 'etl_transform_batch_seconds_bucket', { le: '+Inf' })).toBe(0);
    expect(metrics.samples.some((sample) => sample.name === 'etl_rows_extracted_total')).toBe(false);
  });

  it('adds counter increments per label set and keeps gauges at their last value', async () => {
    const metrics = new PrometheusPipelineMetrics();
    metrics.increment('etl_rows_extracted_total', { dataset: 'iot_events' }, 1000);
    metrics.increment('etl_rows_extracted_total', { dataset: 'iot_events' }, 250);
    metrics.increment('etl_rows_extracted_total', { dataset: 'sales' }, 7);
    metrics.increment('etl_dead_letters_total', { stage: 'transform' });
    metrics.increment('etl_dead_letters_total', { stage: 'transform' });
    metrics.increment('etl_dead_letters_total', { stage: 'transform' }, -5); // dropped: counters only go up
    metrics.increment('etl_dead_letters_total', { stage: 'transform' }, Number.NaN); // dropped
    metrics.set('etl_last_batch_timestamp_seconds', { stage: 'aggregate' }, 100);
    metrics.set('etl_last_batch_timestamp_seconds', { stage: 'aggregate' }, 1_763_770_000.25);
    const text = await parsed(metrics);
    expect(sampleValue(text, 'etl_rows_extracted_total', { dataset: 'iot_events' })).toBe(1250);
    expect(sampleValue(text, 'etl_rows_extracted_total', { dataset: 'sales' })).toBe(7);
    expect(sampleValue(text, 'etl_dead_letters_total', { stage: 'transform' })).toBe(2);
    expect(sampleValue(text, 'etl_last_batch_timestamp_seconds', { stage: 'aggregate' })).toBe(1_763_770_000.25);
    expect(await metrics.value('etl_rows_extracted_total', { dataset: 'sales' })).toBe(7);
    expect(await metrics.value('etl_rows_valid_total', { dataset: 'sales' })).toBeUndefined();
    expect(await metrics.value('etl_outbox_relayed_total', {})).toBe(0);
  });

  it('puts histogram observations in cumulative buckets with _sum and _count', async () => {
    const metrics = new PrometheusPipelineMetrics();
    for (const seconds of [0.003, 0.005, 0.2, 0.2, 7, 1000]) metrics.observe('etl_transform_batch_seconds', {}, seconds);
    metrics.observe('etl_transform_batch_seconds', {}, Number.NaN); // dropped
    metrics.observe('etl_batch_events', { stage: 'transform' }, 64);
    const text = await parsed(metrics);
    const bucket = (le: string) => sampleValue(text, 'etl_transform_batch_seconds_bucket', { le });
    expect(bucket('0.005')).toBe(2); // le is inclusive
    expect(bucket('0.1')).toBe(2);
    expect(bucket('0.25')).toBe(4);
    expect(bucket('10')).toBe(5);
    expect(bucket('300')).toBe(5);
    expect(bucket('+Inf')).toBe(6);
    expect(sampleValue(text, 'etl_transform_batch_seconds_count')).toBe(6);
    expect(sampleValue(text, 'etl_transform_batch_seconds_sum')).toBeCloseTo(1007.408, 9);
    expect(sampleValue(text, 'etl_batch_events_bucket', { stage: 'transform', le: '50' })).toBe(0);
    expect(sampleValue(text, 'etl_batch_events_bucket', { stage: 'transform', le: '100' })).toBe(1);
    expect(sumOf(text, 'etl_batch_events_count')).toBe(1);
  });

  it('escapes label values so that quotes, backslashes and line feeds survive a scrape', async () => {
    const metrics = new PrometheusPipelineMetrics();
    const awkward = 'a "quoted" back\\slash\nand a new line';
    metrics.increment('etl_rows_rejected_total', { dataset: awkward }, 3);
    const text = await metrics.render();
    expect(text.split('\n').filter((line) => line.startsWith('etl_rows_rejected_total'))).toHaveLength(1);
    expect(sampleValue(parsePrometheusText(text), 'etl_rows_rejected_total', { dataset: awkward })).toBe(3);
  });

  it("serves prom-client's process metrics only on the registry that asks for them", async () => {
    const plain = await parsed(new PrometheusPipelineMetrics());
    expect([...plain.types.keys()].filter((name) => !name.startsWith('etl_'))).toEqual([]);

    const processMetrics = new PrometheusPipelineMetrics({ processMetrics: true });
    processMetrics.increment('etl_facts_loaded_total', { dataset: 'iot_events' }, 5);
    const text = await parsed(processMetrics);
    for (const name of PROCESS_METRIC_NAMES) expect(text.types.has(name), name).toBe(true);
    expect(sampleValue(text, 'process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(sampleValue(text, 'process_resident_memory_bytes')).toBeGreaterThan(10 * 1024 * 1024);
    expect(sampleValue(text, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    expect(
      sampleValue(text, 'nodejs_version_info', {
        version: process.version,
        major: process.versions.node.split('.')[0]!,
        minor: process.versions.node.split('.')[1]!,
        patch: process.versions.node.split('.')[2]!,
      }),
    ).toBe(1);
    expect(text.types.get('nodejs_gc_duration_seconds')).toBe('histogram');
    // The pipeline's own series are unchanged beside them.
    expect(sampleValue(text, 'etl_facts_loaded_total', { dataset: 'iot_events' })).toBe(5);
    expect([...text.types.keys()].filter((name) => name.startsWith('etl_'))).toEqual(METRIC_NAMES);
  });
});
