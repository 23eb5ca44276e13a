/**
 * `/api/metrics` on the real local stack (Azurite, the Event Hubs emulator, SQLite and the local
 * Functions host running functions/index.ts): after files flow through extract → transform →
 * aggregate, the scraped counters equal the row accounting in the file manifest.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../local/cli/local-stack.js';
import { getEtlRuntime, type EtlRuntime } from '../runtime/etl-runtime.js';
import { generateIotCsv } from '../../local/sample-data/iot-csv-generator.js';
import { iotEventsDataset } from '../datasets/iot-events.js';
import type { FileManifest } from '../ports/file-manifest.js';
import { parsePrometheusText, sampleValue, scrapeMetrics, sumOf, type ParsedExposition } from './prometheus-text-parser.js';
import { METRIC_NAMES, PROCESS_METRIC_NAMES } from './metric-names.js';
import { waitFor as pollFor } from '../../local/host/test/wait-for.js';

/** Polls every 200 ms; the deadline only bounds a hang. */
const waitFor = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> =>
  pollFor(what, probe, timeoutMs, 200);

const dataset = iotEventsDataset.name;

describe('/api/metrics on the local stack', () => {
  let stateDir: string;
  let stack: LocalStack;
  let runtime: EtlRuntime;
  let files: FileManifest[];
  let response: Response;
  let metrics: ParsedExposition;

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'etl-metrics-'));
    stack = await startLocalStack({
      stateDir,
      ports: 'free',
      partitions: 2,
      scanIntervalMs: 200,
      fastLoadBalancing: true,
      settings: { ETL_CHUNK_MAX_ROWS: '100' },
      log: () => {},
    });
    runtime = await getEtlRuntime();
    const upload = (name: string, text: string) =>
      stack.blobService.getContainerClient('landing').getBlockBlobClient(name).upload(text, Buffer.byteLength(text));
    const text = [...generateIotCsv({ rows: 1200, seed: 11, duplicateRate: 0.05, badRowRate: 0.02, spreadMinutes: 30 }).chunks].join('');
    await upload(`${dataset}/metrics-a.csv`, text);
    // The same rows under another name: a second file whose valid rows are all duplicates.
    await waitFor('the first file', async () =>
      (await runtime.store.manifest.listFiles({ limit: 10 })).some((file) => file.state === 'complete') ? true : undefined,
    );
    await upload(`${dataset}/metrics-b.csv`, text);
    files = await waitFor('both files to complete', async () => {
      const list = await runtime.store.manifest.listFiles({ limit: 10 });
      return list.length === 2 && list.every((file) => file.state === 'complete') ? [...list] : undefined;
    });
    const loaded = files.reduce((sum, file) => sum + file.loadedRows, 0);
    await waitFor('the windows to hold every loaded row', async () => {
      const windows = await runtime.store.windows.listWindows(iotEventsDataset, { limit: 1_000_000 });
      return windows.reduce((sum, window) => sum + window.count, 0) === loaded ? true : undefined;
    });
    response = await fetch(`${stack.httpUrl}/api/metrics`);
    metrics = parsePrometheusText(await response.text());
  }, 180_000);

  afterAll(async () => {
    await stack?.close();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  it('serves every metric of the list in the Prometheus text format, anonymously', () => {
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect([...metrics.types.keys()].filter((name) => name.startsWith('etl_'))).toEqual(METRIC_NAMES);
  });

  it("serves the host process's CPU, memory, heap, event-loop and GC metrics beside them", () => {
    for (const name of PROCESS_METRIC_NAMES) expect(metrics.types.has(name), name).toBe(true);
    // This host runs in the test's process: its CPU time and resident memory are this process's.
    expect(sampleValue(metrics, 'process_cpu_seconds_total')).toBeGreaterThan(1);
    expect(sampleValue(metrics, 'process_resident_memory_bytes')).toBeGreaterThan(50 * 1024 * 1024);
    expect(sampleValue(metrics, 'nodejs_eventloop_lag_p99_seconds')).toBeGreaterThan(0);
    // Files went through: the heap has been collected at least once.
    expect(sumOf(metrics, 'nodejs_gc_duration_seconds_count')).toBeGreaterThan(0);
  });

  it('is what scrapeMetrics (for the load-test collectors) reads', async () => {
    const scraped = await scrapeMetrics(`${stack.httpUrl}/api/metrics`);
    expect(sampleValue(scraped, 'etl_rows_extracted_total', { dataset })).toBe(
      sampleValue(metrics, 'etl_rows_extracted_total', { dataset }),
    );
    await expect(scrapeMetrics(`${stack.httpUrl}/api/no-such-route`)).rejects.toThrow(/HTTP 404/);
  });

  it('counts extracted, valid and rejected rows and published chunks as the manifest does', () => {
    const sum = (field: 'totalRows' | 'validRows' | 'rejectedRows' | 'chunks' | 'loadedRows' | 'duplicateRows') =>
      files.reduce((total, file) => total + file[field], 0);
    expect(sampleValue(metrics, 'etl_files_extracted_total', { dataset, outcome: 'extracted' })).toBe(2);
    expect(sampleValue(metrics, 'etl_rows_extracted_total', { dataset })).toBe(sum('totalRows'));
    expect(sampleValue(metrics, 'etl_rows_valid_total', { dataset })).toBe(sum('validRows'));
    expect(sampleValue(metrics, 'etl_rows_rejected_total', { dataset })).toBe(sum('rejectedRows'));
    expect(sum('rejectedRows')).toBeGreaterThan(0);
    expect(sampleValue(metrics, 'etl_chunks_published_total', { dataset })).toBe(sum('chunks'));
    expect(sampleValue(metrics, 'etl_extract_file_seconds_count', { dataset })).toBe(2);
  });

  it('counts loaded facts, duplicates and chunk events as the manifest does', () => {
    const loaded = files.reduce((total, file) => total + file.loadedRows, 0);
    const duplicates = files.reduce((total, file) => total + file.duplicateRows, 0);
    const chunks = files.reduce((total, file) => total + file.chunks, 0);
    expect(sampleValue(metrics, 'etl_facts_loaded_total', { dataset })).toBe(loaded);
    expect(sampleValue(metrics, 'etl_duplicate_rows_total', { dataset })).toBe(duplicates);
    expect(duplicates).toBeGreaterThan(loaded); // the second file is all duplicates, the first has some
    // The ledger makes 'loaded' exactly once per chunk; redeliveries (if any) show as 'already_applied'.
    expect(sampleValue(metrics, 'etl_chunk_events_processed_total', { dataset, outcome: 'loaded' })).toBe(chunks);
    const processed = sumOf(metrics, 'etl_chunk_events_processed_total');
    expect(sumOf(metrics, 'etl_batch_events_sum', { stage: 'transform' })).toBe(processed);
    expect(sampleValue(metrics, 'etl_transform_batch_seconds_count')).toBe(
      sumOf(metrics, 'etl_batch_events_count', { stage: 'transform' }),
    );
    expect(sumOf(metrics, 'etl_dead_letters_total')).toBe(0);
  });

  it('counts merged partials and published outbox messages, and moves the last-batch gauges', () => {
    // The first file's chunks carry new rows, so their partials are published and merged.
    expect(sampleValue(metrics, 'etl_outbox_messages_published_total')).toBeGreaterThan(0);
    expect(sampleValue(metrics, 'etl_partials_merged_total', { dataset, outcome: 'applied' })).toBeGreaterThan(0);
    expect(sumOf(metrics, 'etl_batch_events_sum', { stage: 'aggregate' })).toBeGreaterThanOrEqual(
      sampleValue(metrics, 'etl_outbox_messages_published_total')!,
    );
    expect(sampleValue(metrics, 'etl_aggregate_batch_seconds_count')).toBeGreaterThan(0);
    const now = Date.now() / 1000;
    for (const stage of ['extract', 'transform', 'aggregate']) {
      const last = sampleValue(metrics, 'etl_last_batch_timestamp_seconds', { stage })!;
      expect(now - last, stage).toBeGreaterThanOrEqual(0);
      expect(now - last, stage).toBeLessThan(180);
    }
  });
});
