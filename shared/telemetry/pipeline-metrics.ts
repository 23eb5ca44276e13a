/**
 * The port handlers record metrics through. Adapters: `PrometheusPipelineMetrics` (an in-memory
 * registry served at `/api/metrics`) and `ApplicationInsightsPipelineMetrics` (trackMetric).
 * Recording never throws and never waits: a metric must not fail or slow down a batch.
 */
import type { CounterName, GaugeName, HistogramName, MetricLabels } from './metric-names.js';

export interface PipelineMetrics {
  /** Add `value` (default 1, never negative) to a counter. */
  increment<N extends CounterName>(name: N, labels: MetricLabels<N>, value?: number): void;
  /** Record one observation (a duration in seconds, a batch size) in a histogram. */
  observe<N extends HistogramName>(name: N, labels: MetricLabels<N>, value: number): void;
  /** Set a gauge to `value`. */
  set<N extends GaugeName>(name: N, labels: MetricLabels<N>, value: number): void;
}

/** Records into several adapters at once (Prometheus for `/api/metrics`, and Application Insights in Azure). */
export class FanOutPipelineMetrics implements PipelineMetrics {
  constructor(private readonly targets: readonly PipelineMetrics[]) {}

  increment<N extends CounterName>(name: N, labels: MetricLabels<N>, value?: number): void {
    for (const target of this.targets) target.increment(name, labels, value);
  }

  observe<N extends HistogramName>(name: N, labels: MetricLabels<N>, value: number): void {
    for (const target of this.targets) target.observe(name, labels, value);
  }

  set<N extends GaugeName>(name: N, labels: MetricLabels<N>, value: number): void {
    for (const target of this.targets) target.set(name, labels, value);
  }
}

/**
 * Seconds since the stopwatch started, from the monotonic clock: durations must not jump with
 * wall-clock corrections (and the injected `clock` of handlers is often fixed in tests).
 */
export function startStopwatch(): () => number {
  const started = performance.now();
  return () => (performance.now() - started) / 1000;
}

/** Unix time in seconds, the unit of `etl_last_batch_timestamp_seconds`. */
export function unixSeconds(date: Date): number {
  return date.getTime() / 1000;
}
