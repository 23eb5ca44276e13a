/**
 * `metrics`: GET `/api/metrics`, this process's pipeline metrics in the Prometheus text format
 * 0.0.4. Anonymous, like `/health`, because a Prometheus scraper carries no function key; it shows
 * counts, never data. It reads the in-memory registry only, so a scrape works while SQL is down.
 */
import { app, type HttpResponseInit } from '@azure/functions';
import { PROMETHEUS_CONTENT_TYPE } from '../shared/telemetry/prometheus-text-format.js';
import { processPrometheusMetrics } from '../shared/runtime/etl-runtime.js';

export async function metricsEndpoint(): Promise<HttpResponseInit> {
  return { status: 200, headers: { 'content-type': PROMETHEUS_CONTENT_TYPE }, body: processPrometheusMetrics.render() };
}

app.http('metrics', { methods: ['GET'], authLevel: 'anonymous', route: 'metrics', handler: metricsEndpoint });
