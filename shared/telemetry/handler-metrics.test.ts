/**
 * What each handler records, through the runtime's real wiring (SQLite, Azurite, the Event Hubs
 * emulator) with a fresh Prometheus registry per test: counts follow the handlers' outcomes, and
 * faults (retries, dead letters, redeliveries, the outbox relay) are counted where they happen.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type RunningAzurite } from '../../local/azurite/start-azurite.js';
import { startEventHubsEmulator, type RunningEventHubsEmulator } from '../../local/eventhubs-emulator/index.js';
import { pipelineEmulatorConfig } from '../../local/cli/pipeline-hubs.js';
import { generateIotCsv } from '../../local/sample-data/iot-csv-generator.js';
import { loadEtlConfig } from '../config/etl-config.js';
import { createEtlRuntime, type EtlRuntime } from '../runtime/etl-runtime.js';
import { silentLogger } from '../runtime/logger.js';
import { iotEventsDataset } from '../datasets/iot-events.js';
import { chunkIdOf } from '../messages/chunk-event.js';
import { flakyStore, iotChunkEvent } from '../handlers/test/handler-fixtures.js';
import { extractFile } from '../handlers/extract-handler.js';
import { factsOfChunk, transformBatch } from '../handlers/transform-handler.js';
import { outboxDraftsFor } from '../handlers/outbox-drafts.js';
import { relayOutbox } from '../handlers/outbox-relay.js';
import { aggregateBatch } from '../handlers/aggregate-handler.js';
import { PrometheusPipelineMetrics } from './prometheus-pipeline-metrics.js';

const dataset = iotEventsDataset;
const noSleep = async () => {};

describe('handler metrics', () => {
  let directory: string;
  let azurite: RunningAzurite;
  let emulator: RunningEventHubsEmulator;
  let runtime: EtlRuntime;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'etl-handler-metrics-'));
    azurite = await startAzurite({});
    emulator = await startEventHubsEmulator({ config: pipelineEmulatorConfig(2), port: 0, log: () => {} });
    const config = loadEtlConfig({
      AzureWebJobsStorage: azurite.connectionString,
      ETL_EVENTHUB: emulator.connectionString,
      ETL_SQLITE_PATH: join(directory, 'etl.sqlite'),
      ETL_CHUNK_MAX_ROWS: '40',
      ETL_MAX_ATTEMPTS: '3',
    });
    runtime = await createEtlRuntime(config);
  }, 60_000);

  afterAll(async () => {
    await runtime?.close();
    await emulator?.close();
    await azurite?.close();
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  it('extract counts rows, chunks and files by outcome, once per extracted file', async () => {
    const metrics = new PrometheusPipelineMetrics();
    const deps = { ...runtime.extractDependencies(silentLogger), metrics };
    const text = [...generateIotCsv({ rows: 300, seed: 5, badRowRate: 0.05, duplicateRate: 0 }).chunks].join('');
    const landing = runtime.blobService.getContainerClient(runtime.config.containers.landing);
    await landing.getBlockBlobClient(`${dataset.name}/extract-metrics.csv`).upload(text, Buffer.byteLength(text));
    await landing.getBlockBlobClient('no_such_dataset/file.csv').upload('a,b\n1,2\n', 8);

    const outcome = await extractFile(deps, { container: landing.containerName, blobName: `${dataset.name}/extract-metrics.csv` });
    const again = await extractFile(deps, { container: landing.containerName, blobName: `${dataset.name}/extract-metrics.csv` });
    const unknown = await extractFile(deps, { container: landing.containerName, blobName: 'no_such_dataset/file.csv' });
    expect([outcome.status, again.status, unknown.status]).toEqual(['extracted', 'skipped', 'failed']);
    if (outcome.status !== 'extracted') return;

    const labels = { dataset: dataset.name };
    expect(await metrics.value('etl_rows_extracted_total', labels)).toBe(outcome.totalRows);
    expect(await metrics.value('etl_rows_extracted_total', labels)).toBe(300);
    expect(await metrics.value('etl_rows_valid_total', labels)).toBe(outcome.validRows);
    expect(await metrics.value('etl_rows_rejected_total', labels)).toBe(outcome.rejectedRows);
    expect(outcome.rejectedRows).toBeGreaterThan(0);
    expect(await metrics.value('etl_chunks_published_total', labels)).toBe(outcome.chunks);
    expect(outcome.chunks).toBeGreaterThan(2);
    expect(await metrics.value('etl_files_extracted_total', { dataset: dataset.name, outcome: 'extracted' })).toBe(1);
    expect(await metrics.value('etl_files_extracted_total', { dataset: dataset.name, outcome: 'skipped' })).toBe(1);
    expect(await metrics.value('etl_files_extracted_total', { dataset: 'unknown', outcome: 'failed' })).toBe(1);
    expect(await metrics.render()).toMatch(/^etl_extract_file_seconds_count\{dataset="iot_events"\} 1$/m);
  });

  it('transform counts loads, duplicates, retries, dead letters and redeliveries', async () => {
    const metrics = new PrometheusPipelineMetrics();
    const fileId = 'transform-metrics';
    const now = new Date().toISOString();
    await runtime.store.manifest.beginFile({
      fileId,
      dataset: dataset.name,
      blobName: `${dataset.name}/${fileId}.csv`,
      blobEtag: 'e',
      receivedAt: now,
    });
    await runtime.store.manifest.finishExtract(fileId, { totalRows: 20, validRows: 20, rejectedRows: 0, chunks: 2 }, now);
    const first = iotChunkEvent(fileId, 0, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // Three keys of the second chunk were already loaded by the first: duplicates.
    const second = iotChunkEvent(fileId, 1, [8, 9, 10, 11, 12, 13, 14, 15, 16, 17]);
    const state = { failures: 2 };
    const deps = {
      ...runtime.transformDependencies(silentLogger),
      store: flakyStore(runtime.store, state),
      retry: { maxAttempts: 3, baseDelayMs: 1, budgetMs: 60_000, sleep: noSleep },
      metrics,
    };

    const outcome = await transformBatch(deps, [{ body: first }, { body: 'not a chunk event' }, { body: second }]);
    expect(outcome).toMatchObject({ chunks: 2, loaded: 17, duplicates: 3, deadLettered: 1 });
    const redelivered = await transformBatch(deps, [{ body: first }]);
    expect(redelivered).toMatchObject({ alreadyApplied: 1 });

    const labels = { dataset: dataset.name };
    expect(await metrics.value('etl_chunk_events_processed_total', { ...labels, outcome: 'loaded' })).toBe(2);
    expect(await metrics.value('etl_chunk_events_processed_total', { ...labels, outcome: 'already_applied' })).toBe(1);
    expect(await metrics.value('etl_facts_loaded_total', labels)).toBe(17);
    expect(await metrics.value('etl_duplicate_rows_total', labels)).toBe(3);
    expect(await metrics.value('etl_retry_attempts_total', { stage: 'transform' })).toBe(2);
    expect(await metrics.value('etl_dead_letters_total', { stage: 'transform' })).toBe(1);
    expect(await metrics.value('etl_outbox_messages_published_total', {})).toBeGreaterThan(0);
    expect(await metrics.value('etl_outbox_publish_failures_total', {})).toBe(0);
    const text = await metrics.render();
    expect(text).toMatch(/^etl_transform_batch_seconds_count 2$/m);
    expect(text).toMatch(/^etl_batch_events_sum\{stage="transform"\} 4$/m);
    expect(await metrics.value('etl_last_batch_timestamp_seconds', { stage: 'transform' })).toBeCloseTo(Date.now() / 1000, -2);
  });

  it('aggregate counts merged and already-applied partials and dead letters', async () => {
    const metrics = new PrometheusPipelineMetrics();
    const deps = {
      ...runtime.aggregateDependencies(silentLogger),
      retry: { maxAttempts: 2, baseDelayMs: 1, budgetMs: 60_000, sleep: noSleep },
      metrics,
    };
    const event = iotChunkEvent('aggregate-metrics', 0, [101, 102, 103, 104, 105, 106]);
    const drafts = outboxDraftsFor(dataset, chunkIdOf(event.fileId, 0), factsOfChunk(dataset, event), 'aggregates');
    const partials = drafts.reduce((sum, draft) => sum + (JSON.parse(draft.body) as { partials: unknown[] }).partials.length, 0);
    expect(partials).toBeGreaterThan(1);

    const bodies = drafts.map((draft) => ({ body: JSON.parse(draft.body) as unknown }));
    const outcome = await aggregateBatch(deps, [...bodies, { body: { type: 'something else' } }]);
    const again = await aggregateBatch(deps, bodies);
    expect(outcome).toMatchObject({ applied: partials, deadLettered: 1 });
    expect(again).toMatchObject({ applied: 0, alreadyApplied: partials });

    expect(await metrics.value('etl_partials_merged_total', { dataset: dataset.name, outcome: 'applied' })).toBe(partials);
    expect(await metrics.value('etl_partials_merged_total', { dataset: dataset.name, outcome: 'already_applied' })).toBe(partials);
    expect(await metrics.value('etl_dead_letters_total', { stage: 'aggregate' })).toBe(1);
    expect(await metrics.render()).toMatch(/^etl_aggregate_batch_seconds_count 2$/m);
  });

  it('the outbox relay counts the messages it publishes', async () => {
    const metrics = new PrometheusPipelineMetrics();
    const fileId = 'relay-metrics';
    await runtime.store.manifest.beginFile({
      fileId,
      dataset: dataset.name,
      blobName: `${dataset.name}/${fileId}.csv`,
      blobEtag: 'e',
      receivedAt: new Date().toISOString(),
    });
    const event = iotChunkEvent(fileId, 0, [201, 202, 203]);
    const chunkId = chunkIdOf(fileId, 0);
    // Committed but never published, as after a crash between commit and publish.
    const loaded = await runtime.store.facts.loadChunk({ dataset, fileId, chunkId, facts: factsOfChunk(dataset, event) }, (newFacts) =>
      outboxDraftsFor(dataset, chunkId, newFacts, 'aggregates'),
    );
    const relayed = await relayOutbox(
      { store: runtime.store, aggregates: runtime.aggregates, clock: runtime.clock, log: silentLogger, metrics },
      { minAgeMs: 0, limit: 1000 },
    );
    expect(loaded.outbox.length).toBeGreaterThan(0);
    expect(relayed).toBeGreaterThanOrEqual(loaded.outbox.length);
    expect(await metrics.value('etl_outbox_relayed_total', {})).toBe(relayed);
    expect(await metrics.value('etl_last_batch_timestamp_seconds', { stage: 'relay' })).toBeGreaterThan(0);
  });
});
