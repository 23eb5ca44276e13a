/**
 * The one wiring place: builds every adapter the handlers need from the configuration, once per
 * process. Azure, AKS and the local host differ only in the settings they put in the environment.
 */
import type { BlobServiceClient } from '@azure/storage-blob';
import type { QueueClient } from '@azure/storage-queue';
import type { DatasetDeclaration } from '../datasets/dataset-declaration.js';
import { loadDatasets } from '../datasets/dataset-registry.js';
import { loadEtlConfig, type EtlConfig } from '../config/etl-config.js';
import { openEtlStore } from '../sql/open-etl-store.js';
import type { EtlStore } from '../ports/etl-store.js';
import type { DeadLetterStore } from '../ports/dead-letter-store.js';
import type { EventPublisher } from '../ports/event-publisher.js';
import { AzureBlobSource } from '../adapters/azure-blob-source.js';
import { BlobDeadLetterStore } from '../adapters/blob-dead-letter-store.js';
import { BlobRejectedRowSink } from '../adapters/blob-rejected-row-sink.js';
import { BlobChunkPlanStore } from '../adapters/blob-chunk-plan-store.js';
import { EventHubsEventPublisher } from '../adapters/eventhubs-event-publisher.js';
import { createBlobServiceClient, createEventHubProducer, createQueueServiceClient } from '../adapters/azure-clients.js';
import type { ExtractDependencies } from '../handlers/extract-handler.js';
import type { TransformDependencies } from '../handlers/transform-handler.js';
import type { AggregateDependencies } from '../handlers/aggregate-handler.js';
import type { ExtractSweepDependencies } from '../handlers/extract-sweep.js';
import { LANDING_EVENTS_QUEUE } from '../config/app-settings.js';
import type { Logger } from './logger.js';
import type { PipelineMetrics } from '../telemetry/pipeline-metrics.js';
import { PrometheusPipelineMetrics } from '../telemetry/prometheus-pipeline-metrics.js';
import { createPipelineMetrics, type ConfiguredPipelineMetrics } from '../telemetry/create-pipeline-metrics.js';

/**
 * This process's Prometheus registry, with the process's own CPU, memory, heap, event-loop and GC
 * metrics. Every runtime built here records into it and `/api/metrics` serves it without building a
 * runtime, so a scrape works even while the database is down.
 */
export const processPrometheusMetrics = new PrometheusPipelineMetrics({ processMetrics: true });

export interface EtlRuntime {
  readonly config: EtlConfig;
  readonly datasets: ReadonlyMap<string, DatasetDeclaration>;
  readonly store: EtlStore;
  readonly blobService: BlobServiceClient;
  readonly records: EventPublisher;
  readonly aggregates: EventPublisher;
  readonly deadLetters: DeadLetterStore;
  readonly clock: () => Date;
  /** Where handlers record metrics: Prometheus, plus Application Insights when configured. */
  readonly metrics: PipelineMetrics;
  extractDependencies(log: Logger): ExtractDependencies;
  transformDependencies(log: Logger): TransformDependencies;
  aggregateDependencies(log: Logger): AggregateDependencies;
  extractSweepDependencies(log: Logger): ExtractSweepDependencies;
  close(): Promise<void>;
}

export async function createEtlRuntime(config: EtlConfig, options: { clock?: () => Date } = {}): Promise<EtlRuntime> {
  const clock = options.clock ?? (() => new Date());
  const datasets = await loadDatasets(config.datasetsDir);
  const telemetry = await createPipelineMetrics(config, processPrometheusMetrics);
  const store = await openEtlStore(config.sql, { retry: config.retry });
  try {
    if (config.migrateOnStart) await store.migrate([...datasets.values()]);
    const blobService = await createBlobServiceClient(config.storage);
    await createLocalContainers(config, blobService);
    const records = new EventHubsEventPublisher(await createEventHubProducer(config.eventHubs, config.hubs.records), config.hubs.records);
    const aggregates = new EventHubsEventPublisher(
      await createEventHubProducer(config.eventHubs, config.hubs.aggregates),
      config.hubs.aggregates,
    );
    const landingQueue = (await createQueueServiceClient(config.storage)).getQueueClient(LANDING_EVENTS_QUEUE);
    return assembleRuntime({ config, datasets, store, blobService, records, aggregates, landingQueue, clock, telemetry });
  } catch (error) {
    await store.close().catch(() => undefined);
    await telemetry.close().catch(() => undefined);
    throw error;
  }
}

/** Locally the containers may not exist yet; in Azure infra creates them. */
async function createLocalContainers(config: EtlConfig, blobService: BlobServiceClient): Promise<void> {
  if (config.storage.kind !== 'connection-string') return;
  for (const name of Object.values(config.containers)) await blobService.getContainerClient(name).createIfNotExists();
}

/** What the runtime is built from: the clients that hold connections, opened by `createEtlRuntime`. */
interface RuntimeParts {
  readonly config: EtlConfig;
  readonly datasets: ReadonlyMap<string, DatasetDeclaration>;
  readonly store: EtlStore;
  readonly blobService: BlobServiceClient;
  readonly records: EventHubsEventPublisher;
  readonly aggregates: EventHubsEventPublisher;
  /** `landing-events`, where the extract sweep puts back a lost landing event. */
  readonly landingQueue: QueueClient;
  readonly clock: () => Date;
  readonly telemetry: ConfiguredPipelineMetrics;
}

/** The blob adapters on their containers, and each handler's dependencies from the parts. */
function assembleRuntime(parts: RuntimeParts): EtlRuntime {
  const { config, datasets, store, blobService, records, aggregates, landingQueue, clock, telemetry } = parts;
  const metrics = telemetry.metrics;
  const deadLetters = new BlobDeadLetterStore(blobService.getContainerClient(config.containers.deadLetters));
  const rejected = new BlobRejectedRowSink(blobService.getContainerClient(config.containers.rejected));
  const plans = new BlobChunkPlanStore(blobService.getContainerClient(config.containers.rejected));
  const blobs = new AzureBlobSource(blobService);
  return {
    config,
    datasets,
    store,
    blobService,
    records,
    aggregates,
    deadLetters,
    clock,
    metrics,
    extractDependencies: (log) => ({
      datasets,
      blobs,
      manifest: store.manifest,
      rejected,
      records,
      chunk: config.chunk,
      plans,
      clock,
      log,
      metrics,
    }),
    transformDependencies: (log) => ({
      datasets,
      store,
      aggregates,
      deadLetters,
      retry: config.retry,
      transactionRows: config.transformTransactionRows,
      sourceHub: config.hubs.records,
      clock,
      log,
      metrics,
    }),
    aggregateDependencies: (log) => ({
      datasets,
      windows: store.windows,
      deadLetters,
      retry: config.retry,
      sourceHub: config.hubs.aggregates,
      clock,
      log,
      metrics,
    }),
    extractSweepDependencies: (log) => ({
      manifest: store.manifest,
      blobs,
      landing: {
        container: config.containers.landing,
        send: async (messageText) => {
          await landingQueue.sendMessage(messageText);
        },
      },
      clock,
      log,
      metrics,
    }),
    async close() {
      await Promise.allSettled([records.close(), aggregates.close(), telemetry.close()]);
      await store.close();
    },
  };
}

let processRuntime: Promise<EtlRuntime> | undefined;

/** The process-wide runtime, built from `process.env` on first use (Functions handlers call this). */
export function getEtlRuntime(): Promise<EtlRuntime> {
  processRuntime ??= createEtlRuntime(loadEtlConfig(process.env)).catch((error: unknown) => {
    processRuntime = undefined; // let the next invocation try again (e.g. the database was down)
    throw error;
  });
  return processRuntime;
}

/** Close the process-wide runtime (the local host calls this on shutdown). */
export async function closeEtlRuntime(): Promise<void> {
  const runtime = processRuntime;
  processRuntime = undefined;
  if (runtime) await (await runtime).close();
}
