import { describe, expect, it } from 'vitest';
import { METRIC_NAMES, metricSpec } from './metric-names.js';

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
describe('the metric list', () => {
  it('has valid Prometheus metric and label names in our etl_ namespace', () => {
    for (const name of METRIC_NAMES) {
      expect(name, name).toMatch(METRIC_NAME);
      expect(name, name).toMatch(/^etl_[a-z0-9_]+$/);
      for (const label of metricSpec(name).labels) {
        expect(label, `${name} label ${label}`).toMatch(LABEL_NAME);
        expect(label.startsWith('__'), `${name}: labels starting with __ are reserved`).toBe(false);
      }
      expect(new Set(metricSpec(name).labels).size, `${name}: a label twice`).toBe(metricSpec(name).labels.length);
    }
  });

  it('has no two metrics whose series names collide, histogram suffixes included', () => {
    const seriesNames = METRIC_NAMES.flatMap((name) =>
      metricSpec(name).kind === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`, name] : [name],
    );
    expect(new Set(seriesNames).size).toBe(seriesNames.length);
  });

  it('follows the naming conventions: counters end in _total, durations in _seconds, help is given', () => {
    for (const name of METRIC_NAMES) {
      const spec = metricSpec(name);
      const base = spec.kind === 'counter' ? name.replace(/_total$/, '') : name;
      expect(name.endsWith('_total'), name).toBe(spec.kind === 'counter');
      // The base unit is the suffix (Prometheus convention); counts of things name the thing instead.
      expect(base.endsWith('_seconds'), `${name}: unit ${spec.unit}`).toBe(spec.unit === 'seconds');
      expect(spec.help.length, name).toBeGreaterThan(10);
    }
  });

  it('gives every histogram ascending finite buckets and no le label, and no other metric buckets', () => {
    for (const name of METRIC_NAMES) {
      const spec = metricSpec(name);
      if (spec.kind !== 'histogram') {
        expect(spec.buckets, name).toBeUndefined();
        continue;
      }
      expect(spec.labels).not.toContain('le');
      const buckets = spec.buckets ?? [];
      expect(buckets.length, name).toBeGreaterThan(3);
      for (let index = 0; index < buckets.length; index += 1) {
        expect(Number.isFinite(buckets[index]!), name).toBe(true);
        if (index > 0) expect(buckets[index]!, name).toBeGreaterThan(buckets[index - 1]!);
      }
    }
  });

  it('holds the metrics the pipeline is measured by', () => {
    for (const name of [
      'etl_rows_extracted_total',
      'etl_rows_valid_total',
      'etl_rows_rejected_total',
      'etl_chunks_published_total',
      'etl_chunk_events_processed_total',
      'etl_facts_loaded_total',
      'etl_duplicate_rows_total',
      'etl_dead_letters_total',
      'etl_transform_batch_seconds',
      'etl_aggregate_batch_seconds',
      'etl_extract_file_seconds',
      'etl_partials_merged_total',
      'etl_outbox_relayed_total',
      'etl_retry_attempts_total',
    ]) {
      expect(METRIC_NAMES).toContain(name);
    }
    expect(metricSpec('etl_dead_letters_total').labels).toEqual(['stage']);
    expect(metricSpec('etl_rows_extracted_total').labels).toEqual(['dataset']);
  });
});
