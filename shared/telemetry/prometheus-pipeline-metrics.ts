/**
 * Prometheus adapter on prom-client: one registry per process holding the metrics of
 * metric-names.ts (same names, kinds, labels and buckets), served at `/api/metrics` in the text
 * exposition format. Every pod (and every local host process) serves its own registry; Prometheus
 * sums across them. The process registry also carries prom-client's default process metrics
 * (CPU seconds, resident memory, heap, event-loop lag, GC), charted per process on the dashboard.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import {
  METRIC_NAMES,
  metricSpec,
  type CounterName,
  type GaugeName,
  type HistogramName,
  type MetricLabels,
  type MetricName,
} from './metric-names.js';
import type { PipelineMetrics } from './pipeline-metrics.js';

export interface PrometheusPipelineMetricsOptions {
  /**
   * Also serve prom-client's default metrics of this process. Once per process: they observe
   * process-wide state (GC, the event loop), so a second registry would only repeat them.
   */
  readonly processMetrics?: boolean;
}

type PromMetric = Counter | Gauge | Histogram;

export class PrometheusPipelineMetrics implements PipelineMetrics {
  readonly registry = new Registry();
  private readonly metrics = new Map<MetricName, PromMetric>();

  constructor(options: PrometheusPipelineMetricsOptions = {}) {
    for (const name of METRIC_NAMES) {
      const spec = metricSpec(name);
      // A metric without labels is exported at zero from the start, so rate() and increase() have a zero to begin from.
      const common = { name, help: spec.help, labelNames: [...spec.labels], registers: [this.registry] };
      const metric =
        spec.kind === 'counter'
          ? new Counter(common)
          : spec.kind === 'gauge'
            ? new Gauge(common)
            : new Histogram({ ...common, buckets: [...(spec.buckets ?? [])] });
      this.metrics.set(name, metric);
    }
    if (options.processMetrics === true) collectDefaultMetrics({ register: this.registry });
  }

  increment<N extends CounterName>(name: N, labels: MetricLabels<N>, value = 1): void {
    // A counter only goes up; a negative or non-finite step is a caller bug, dropped rather than thrown.
    if (!Number.isFinite(value) || value < 0) return;
    (this.metrics.get(name) as Counter).inc(labels, value);
  }

  set<N extends GaugeName>(name: N, labels: MetricLabels<N>, value: number): void {
    (this.metrics.get(name) as Gauge).set(labels, value);
  }

  observe<N extends HistogramName>(name: N, labels: MetricLabels<N>, value: number): void {
    if (Number.isNaN(value)) return;
    (this.metrics.get(name) as Histogram).observe(labels, value);
  }

  /** The current value of a counter or gauge series (undefined before its first record, for labelled ones). */
  async value<N extends CounterName | GaugeName>(name: N, labels: MetricLabels<N>): Promise<number | undefined> {
    const wanted: Readonly<Record<string, string>> = labels;
    const { values } = await (this.metrics.get(name) as Counter | Gauge).get();
    return values.find(
      (sample) =>
        Object.keys(wanted).length === Object.keys(sample.labels).length &&
        Object.entries(wanted).every(([key, text]) => sample.labels[key] === text),
    )?.value;
  }

  /** The content type of `render()`: the text exposition format 0.0.4. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** Every metric of the registry in the text exposition format, ending with a line feed. */
  render(): Promise<string> {
    return this.registry.metrics();
  }
}
