/**
 * Which metric adapters a process records into, chosen by configuration alone: always the
 * Prometheus registry (served at `/api/metrics`: scraped on AKS, read locally and by the load-test
 * collectors), and Application Insights too when its connection string is set.
 */
import { ApplicationInsightsPipelineMetrics, type TelemetryClientLike } from './application-insights-pipeline-metrics.js';
import { FanOutPipelineMetrics, type PipelineMetrics } from './pipeline-metrics.js';
import type { PrometheusPipelineMetrics } from './prometheus-pipeline-metrics.js';

export interface TelemetrySettings {
  /** APPLICATIONINSIGHTS_CONNECTION_STRING; absent locally and in tests. */
  readonly appInsightsConnectionString?: string;
}

/** Builds a telemetry client for a connection string; the default imports the SDK on demand. */
export type TelemetryClientLoader = (connectionString: string) => Promise<TelemetryClientLike>;

export interface ConfiguredPipelineMetrics {
  readonly metrics: PipelineMetrics;
  /** Set when Application Insights is in use. */
  readonly applicationInsights?: ApplicationInsightsPipelineMetrics;
  /** Flush what is buffered for Application Insights. */
  close(): Promise<void>;
}

/**
 * Dynamic import: the SDK (and its OpenTelemetry tree) is not even loaded unless it is configured.
 * `useGlobalProviders: false` gives the client its own OpenTelemetry providers, so it exports our
 * metrics without installing process-wide auto-instrumentation (the Functions host already reports
 * requests and dependencies; doing it twice would double the ingestion cost).
 */
export const loadApplicationInsightsClient: TelemetryClientLoader = async (connectionString) => {
  const { TelemetryClient } = await import('applicationinsights');
  return new TelemetryClient(connectionString, { useGlobalProviders: false });
};

export async function createPipelineMetrics(
  settings: TelemetrySettings,
  prometheus: PrometheusPipelineMetrics,
  loadClient: TelemetryClientLoader = loadApplicationInsightsClient,
): Promise<ConfiguredPipelineMetrics> {
  const connectionString = settings.appInsightsConnectionString?.trim();
  if (!connectionString) return { metrics: prometheus, close: async () => {} };
  const applicationInsights = new ApplicationInsightsPipelineMetrics(await loadClient(connectionString));
  return {
    metrics: new FanOutPipelineMetrics([prometheus, applicationInsights]),
    applicationInsights,
    close: () => applicationInsights.flush(),
  };
}
