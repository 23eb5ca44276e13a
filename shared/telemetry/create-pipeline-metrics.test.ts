/**
 * Selection by configuration: Application Insights is loaded only when its connection string is
 * set. The SDK itself is never constructed here (started, it probes a cloud metadata address);
 * the adapter is exercised through the `TelemetryClientLike` slice it depends on.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createPipelineMetrics, type TelemetryClientLoader } from './create-pipeline-metrics.js';
import { PrometheusPipelineMetrics } from './prometheus-pipeline-metrics.js';
import type { TelemetryClientLike } from './application-insights-pipeline-metrics.js';

const REPOSITORY_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A telemetry client that keeps what it is given, in place of the SDK's TelemetryClient. */
class RecordingTelemetryClient implements TelemetryClientLike {
  readonly tracked: { name: string; value: number; properties?: Record<string, string> }[] = [];
  flushes = 0;
  trackMetric(telemetry: { name: string; value: number; properties?: Record<string, string> }): void {
    this.tracked.push(telemetry);
  }
  flush(): void {
    this.flushes += 1;
  }
}

function recordingLoader(): { load: TelemetryClientLoader; calls: string[]; client: RecordingTelemetryClient } {
  const client = new RecordingTelemetryClient();
  const calls: string[] = [];
  return {
    client,
    calls,
    load: async (connectionString) => {
      calls.push(connectionString);
      return client;
    },
  };
}

async function sourceFiles(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts'))
    .map((entry) => join(entry.parentPath, entry.name));
}

describe('createPipelineMetrics', () => {
  it('records into Prometheus only and loads no Application Insights client when the connection string is absent or blank', async () => {
    for (const appInsightsConnectionString of [undefined, '', '   ']) {
      const loader = recordingLoader();
      const prometheus = new PrometheusPipelineMetrics();
      const configured = await createPipelineMetrics({ appInsightsConnectionString }, prometheus, loader.load);
      configured.metrics.increment('etl_facts_loaded_total', { dataset: 'iot_events' }, 5);
      await configured.close();
      expect(loader.calls).toEqual([]);
      expect(configured.applicationInsights).toBeUndefined();
      expect(configured.metrics).toBe(prometheus);
      expect(await prometheus.value('etl_facts_loaded_total', { dataset: 'iot_events' })).toBe(5);
    }
  });

  it('records into both Prometheus and Application Insights when the connection string is set, and flushes on close', async () => {
    const loader = recordingLoader();
    const prometheus = new PrometheusPipelineMetrics();
    const connectionString = 'InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://example.invalid/';
    const configured = await createPipelineMetrics({ appInsightsConnectionString: connectionString }, prometheus, loader.load);
    configured.metrics.increment('etl_rows_rejected_total', { dataset: 'iot_events' }, 3);
    configured.metrics.observe('etl_aggregate_batch_seconds', {}, 0.25);
    configured.metrics.set('etl_last_batch_timestamp_seconds', { stage: 'transform' }, 42);
    configured.metrics.increment('etl_dead_letters_total', { stage: 'aggregate' }, Number.NaN); // dropped by both
    await configured.close();

    expect(loader.calls).toEqual([connectionString]);
    expect(loader.client.tracked).toEqual([
      { name: 'etl_rows_rejected_total', value: 3, properties: { dataset: 'iot_events' } },
      { name: 'etl_aggregate_batch_seconds', value: 0.25, properties: {} },
      { name: 'etl_last_batch_timestamp_seconds', value: 42, properties: { stage: 'transform' } },
    ]);
    expect(loader.client.flushes).toBe(1);
    expect(await prometheus.value('etl_rows_rejected_total', { dataset: 'iot_events' })).toBe(3);
  });

  it('keeps the pipeline running when the telemetry client throws', async () => {
    const throwing: TelemetryClientLike = {
      trackMetric: () => {
        throw new Error('exporter broken');
      },
      flush: () => {},
    };
    const prometheus = new PrometheusPipelineMetrics();
    const configured = await createPipelineMetrics(
      { appInsightsConnectionString: 'InstrumentationKey=x' },
      prometheus,
      async () => throwing,
    );
    expect(() => configured.metrics.increment('etl_chunks_published_total', { dataset: 'iot_events' })).not.toThrow();
    expect(await prometheus.value('etl_chunks_published_total', { dataset: 'iot_events' })).toBe(1);
  });

  it('imports the applicationinsights SDK nowhere in the app except dynamically, in the one loader', async () => {
    const files = [...(await sourceFiles(join(REPOSITORY_ROOT, 'shared'))), ...(await sourceFiles(join(REPOSITORY_ROOT, 'functions')))];
    const importers: string[] = [];
    for (const file of files) {
      const text = await readFile(file, 'utf8');
      if (
        /\bfrom\s+['"]applicationinsights['"]|require\(\s*['"]applicationinsights['"]\s*\)|^\s*import\s+['"]applicationinsights['"]/m.test(
          text,
        )
      ) {
        importers.push(relative(REPOSITORY_ROOT, file));
      }
      if (/import\(\s*['"]applicationinsights['"]\s*\)/.test(text))
        expect(relative(REPOSITORY_ROOT, file)).toBe(join('shared', 'telemetry', 'create-pipeline-metrics.ts'));
    }
    expect(importers).toEqual([]);
  });
});
