/**
 * Application Insights adapter: every record becomes a `trackMetric` call under the same name, so
 * the metric lands in `customMetrics` with its labels in `customDimensions`. The SDK (3.x, built on
 * OpenTelemetry) pre-aggregates per export interval: a counter's increase over an interval is
 * `valueSum`, a histogram's mean is `valueSum / valueCount`, a gauge's last level is `valueMax`.
 *
 * The SDK is loaded only when APPLICATIONINSIGHTS_CONNECTION_STRING is set (create-pipeline-metrics.ts):
 * once started it probes a cloud metadata address, which must never happen in tests or locally.
 */
import type { CounterName, GaugeName, HistogramName, MetricLabels, MetricName } from './metric-names.js';
import type { PipelineMetrics } from './pipeline-metrics.js';

/** The slice of the SDK's `TelemetryClient` this adapter uses. */
export interface TelemetryClientLike {
  trackMetric(telemetry: { name: string; value: number; properties?: Record<string, string> }): void;
  flush(): Promise<void> | void;
}

export class ApplicationInsightsPipelineMetrics implements PipelineMetrics {
  constructor(private readonly client: TelemetryClientLike) {}

  increment<N extends CounterName>(name: N, labels: MetricLabels<N>, value = 1): void {
    if (!Number.isFinite(value) || value < 0) return;
    this.track(name, labels, value);
  }

  observe<N extends HistogramName>(name: N, labels: MetricLabels<N>, value: number): void {
    if (Number.isNaN(value)) return;
    this.track(name, labels, value);
  }

  set<N extends GaugeName>(name: N, labels: MetricLabels<N>, value: number): void {
    this.track(name, labels, value);
  }

  /** Send what the SDK has buffered (on shutdown). */
  async flush(): Promise<void> {
    await this.client.flush();
  }

  private track(name: MetricName, labels: Readonly<Record<string, string>>, value: number): void {
    try {
      this.client.trackMetric({ name, value, properties: { ...labels } });
    } catch {
      // Telemetry must never fail a batch; the SDK logs its own errors through its diagnostics.
    }
  }
}
