/**
 * `metrics`: GET `/api/metrics`, this process's pipeline and process metrics (prom-client) in the
 * Prometheus text format 0.0.4. Anonymous, like `/health`, because a Prometheus scraper carries no
 * function key; it shows counts, never data. It reads the in-memory registry only, so a scrape works
 * while SQL is down.
 */
import { app, type HttpResponseInit } from '@azure/functions';
import { processPrometheusMetrics } from '../shared/runtime/etl-runtime.js';

export async function metricsEndpoint(): Promise<HttpResponseInit> {
  return { status: 200, headers: { 'content-type': processPrometheusMetrics.contentType }, body: await processPrometheusMetrics.render() };
}

app.http('metrics', { methods: ['GET'], authLevel: 'anonymous', route: 'metrics', handler: metricsEndpoint });
