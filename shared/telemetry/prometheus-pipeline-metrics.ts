/**
 * Prometheus adapter: an in-memory registry of this process's series, rendered in the text
 * exposition format 0.0.4 for `/api/metrics`. Every pod (and the local host) serves its own
 * registry; Prometheus sums across pods. Small on purpose: counters, gauges and fixed-bucket
 * histograms over the names in metric-names.ts, nothing else.
 */
import { PIPELINE_METRICS, metricSpec, type CounterName, type GaugeName, type HistogramName, type MetricLabels, type MetricName } from './metric-names.js';
import type { PipelineMetrics } from './pipeline-metrics.js';
import { escapeHelp, formatLabels, formatSampleValue } from './prometheus-text-format.js';

interface ValueSeries {
  readonly labelValues: readonly string[];
  value: number;
}

interface HistogramSeries {
  readonly labelValues: readonly string[];
  /** Observations per bucket (not cumulative); the last slot is the `+Inf` bucket. */
  readonly bucketCounts: number[];
  sum: number;
  count: number;
}

type Series = ValueSeries | HistogramSeries;

function labelValuesOf(name: MetricName, labels: Readonly<Record<string, string>>): string[] {
  return metricSpec(name).labels.map((label) => labels[label] ?? '');
}

export class PrometheusPipelineMetrics implements PipelineMetrics {
  private readonly series = new Map<MetricName, Map<string, Series>>();

  increment<N extends CounterName>(name: N, labels: MetricLabels<N>, value = 1): void {
    // A counter only goes up; a negative or non-finite step is a caller bug, dropped rather than thrown.
    if (!Number.isFinite(value) || value < 0) return;
    this.valueSeries(name, labels).value += value;
  }

  set<N extends GaugeName>(name: N, labels: MetricLabels<N>, value: number): void {
    this.valueSeries(name, labels).value = value;
  }

  observe<N extends HistogramName>(name: N, labels: MetricLabels<N>, value: number): void {
    if (Number.isNaN(value)) return;
    const buckets = metricSpec(name).buckets ?? [];
    const labelValues = labelValuesOf(name, labels);
    const series = this.seriesOf(name, labelValues, () => ({ labelValues, bucketCounts: new Array<number>(buckets.length + 1).fill(0), sum: 0, count: 0 })) as HistogramSeries;
    const index = buckets.findIndex((bound) => value <= bound);
    series.bucketCounts[index === -1 ? buckets.length : index]! += 1;
    series.sum += value;
    series.count += 1;
  }

  /** The current value of a counter or gauge series (undefined before its first record). */
  value<N extends CounterName | GaugeName>(name: N, labels: MetricLabels<N>): number | undefined {
    const series = this.series.get(name)?.get(JSON.stringify(labelValuesOf(name, labels)));
    return series && 'value' in series ? series.value : undefined;
  }

  /** Every metric in the list's order, in text exposition format 0.0.4, ending with a line feed. */
  render(): string {
    const lines: string[] = [];
    for (const name of Object.keys(PIPELINE_METRICS) as MetricName[]) {
      const spec = metricSpec(name);
      lines.push(`# HELP ${name} ${escapeHelp(spec.help)}`, `# TYPE ${name} ${spec.kind}`);
      const known = [...(this.series.get(name)?.values() ?? [])];
      // A metric without labels is shown from the start, so rate() and increase() have a zero to begin from.
      if (known.length === 0 && spec.labels.length === 0) {
        known.push(spec.kind === 'histogram' ? { labelValues: [], bucketCounts: new Array<number>((spec.buckets?.length ?? 0) + 1).fill(0), sum: 0, count: 0 } : { labelValues: [], value: 0 });
      }
      known.sort((a, b) => a.labelValues.join('\u0000').localeCompare(b.labelValues.join('\u0000')));
      for (const series of known) {
        const pairs = spec.labels.map((label, index) => [label, series.labelValues[index] ?? ''] as const);
        if ('value' in series) {
          lines.push(`${name}${formatLabels(pairs)} ${formatSampleValue(series.value)}`);
          continue;
        }
        const bounds = [...(spec.buckets ?? []), Number.POSITIVE_INFINITY];
        let cumulative = 0;
        bounds.forEach((bound, index) => {
          cumulative += series.bucketCounts[index] ?? 0;
          lines.push(`${name}_bucket${formatLabels([...pairs, ['le', formatSampleValue(bound)]])} ${cumulative}`);
        });
        lines.push(`${name}_sum${formatLabels(pairs)} ${formatSampleValue(series.sum)}`, `${name}_count${formatLabels(pairs)} ${series.count}`);
      }
    }
    return `${lines.join('\n')}\n`;
  }

  private valueSeries(name: MetricName, labels: Readonly<Record<string, string>>): ValueSeries {
    const labelValues = labelValuesOf(name, labels);
    return this.seriesOf(name, labelValues, () => ({ labelValues, value: 0 })) as ValueSeries;
  }

  private seriesOf(name: MetricName, labelValues: readonly string[], create: () => Series): Series {
    let byLabels = this.series.get(name);
    if (!byLabels) {
      byLabels = new Map();
      this.series.set(name, byLabels);
    }
    const key = JSON.stringify(labelValues);
    let series = byLabels.get(key);
    if (!series) {
      series = create();
      byLabels.set(key, series);
    }
    return series;
  }
}
