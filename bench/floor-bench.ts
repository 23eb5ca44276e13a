/**
 * The floor: the CPU each part of the end-to-end run costs per row when it runs on its own, on the
 * same file and the same local services. The parts are the ones no run of this pipeline can do
 * without: upload the file to Azurite and download it, read the CSV, validate, encode rows into
 * chunk events and decode them again, move the events through the Event Hubs emulator, and load
 * the facts into SQLite. Each part runs alone and uses the pipeline's own code: the CSV reader,
 * `validateRow`, extract's `ChunkEventEncoder`, the host's JSON parse and transform's
 * `parseChunkEvent`, the SDK publisher, and `SqliteFactLoader` with transform's transaction plan.
 * Its CPU is this process's, plus that of the service process that served it (read from /proc).
 *
 * Their sum is a lower bound on the CPU per row of a whole run. What the end-to-end figure adds
 * is the Functions host, checkpoints, manifests, partials and aggregation, and the cost of running
 * everything at once. `cores / sum` is the fastest the pipeline could go here even if all of that
 * were free and the parts overlapped perfectly.
 *
 * Limits of the method: `process.cpuUsage()` counts every thread of this process (V8's GC helpers
 * too), and a collection that starts inside a timed part also frees garbage of the untimed work
 * around it (building the chunks and facts). So the encode, decode and load parts are timed a batch
 * at a time, with nothing else in their windows, to keep that small.
 */
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { EventHubConsumerClient, EventHubProducerClient, earliestEventPosition } from '@azure/event-hubs';
import { startLocalStack, type LocalStack } from '../local/cli/local-stack.js';
import { uploadCsv } from '../local/cli/upload-file.js';
import { AzureBlobSource } from '../shared/adapters/azure-blob-source.js';
import { EventHubsEventPublisher } from '../shared/adapters/eventhubs-event-publisher.js';
import { loadEtlConfig, type EtlConfig } from '../shared/config/etl-config.js';
import { readCsvBatches } from '../shared/csv/csv-reader.js';
import { iotEventsDataset } from '../shared/datasets/iot-events.js';
import type { Fact } from '../shared/datasets/dataset-declaration.js';
import { chunkRowBytes } from '../shared/handlers/extract-handler.js';
import { planTransactions } from '../shared/handlers/transaction-plan.js';
import { CHUNK_EVENT_TYPE, chunkIdOf, parseChunkEvent } from '../shared/messages/chunk-event.js';
import { ChunkEventEncoder } from '../shared/messages/chunk-event-encoder.js';
import type { ChunkLoadInput } from '../shared/ports/etl-store.js';
import { SqliteEtlStore } from '../shared/sql/sqlite/sqlite-etl-store.js';
import { toFact } from '../shared/transform/to-fact.js';
import { bindHeader, type HeaderBinding } from '../shared/validation/header-binding.js';
import { validateRow } from '../shared/validation/validate-row.js';
import { processCpuSeconds } from '../load-tests/process-cpu.js';

export interface FloorPart {
  readonly name: string;
  /** CPU seconds of the part alone: this process's, plus the service's in `service`. */
  readonly cpuSeconds: number;
  /** The service process that served the part, and its share of `cpuSeconds`. */
  readonly service?: { readonly name: string; readonly cpuSeconds: number };
}

export interface FloorOptions {
  readonly partitions: number;
  /**
   * Settings for the stack, e.g. a smaller `ETL_CHUNK_MAX_ROWS`: chunks and transactions are cut
   * with its limits. Like every stack setting, they are put in this process's environment.
   */
  readonly settings?: Readonly<Record<string, string>>;
  /** How long the emulator may go without delivering an event before the part fails (default 30 s). */
  readonly receiveStallMs?: number;
}

export interface FloorResult {
  /** Data rows in the file. */
  readonly rows: number;
  /** Rows that passed validation: the rows of the chunk events. */
  readonly validRows: number;
  /** Chunk events published and received, and their body bytes. */
  readonly events: { readonly sent: number; readonly received: number; readonly bytes: number; readonly receivedBytes: number };
  /** SQLite transactions, and the facts they inserted (valid rows with a new key). */
  readonly transactions: number;
  readonly loadedFacts: number;
  readonly parts: readonly FloorPart[];
}

const ownCpuSeconds = (): number => processCpuSeconds(process.pid)!;

/** CPU of this process and of one service process over `work`. */
async function measure(name: string, work: () => Promise<void> | void, service?: { name: string; pid: number }): Promise<FloorPart> {
  const ownBefore = ownCpuSeconds();
  const serviceBefore = service ? processCpuSeconds(service.pid) : undefined;
  await work();
  const own = ownCpuSeconds() - ownBefore;
  const serviceAfter = service ? processCpuSeconds(service.pid) : undefined;
  if (service && serviceBefore !== undefined && serviceAfter !== undefined) {
    const serviceSeconds = serviceAfter - serviceBefore;
    return { name, cpuSeconds: own + serviceSeconds, service: { name: service.name, cpuSeconds: serviceSeconds } };
  }
  return { name, cpuSeconds: own };
}

function serviceProcess(stack: LocalStack, name: 'azurite' | 'eventhubs'): { name: string; pid: number } | undefined {
  const found = stack.serviceProcesses.find((service) => service.service === name);
  return found && found.pid !== process.pid ? { name, pid: found.pid } : undefined;
}

/** Reads the file with the pipeline's reader; `onRow` sees each parsed row (header bound) and may pause the read. */
async function eachRow(
  path: string,
  onRow: (binding: HeaderBinding, fields: string[], rowNumber: number) => void | Promise<void>,
): Promise<number> {
  let binding: HeaderBinding | undefined;
  let rows = 0;
  for await (const items of readCsvBatches(createReadStream(path))) {
    for (const item of items) {
      if (item.kind === 'header') {
        const bound = bindHeader(iotEventsDataset, item.fields);
        if (!bound.ok) throw new Error(`the file's header does not bind to ${iotEventsDataset.name}: ${bound.reason}`);
        binding = bound.binding;
      } else if (item.kind === 'row') {
        rows += 1;
        const paused = onRow(binding!, item.fields, item.rowNumber);
        if (paused) await paused;
      } else rows += 1;
    }
  }
  return rows;
}

/** Publishes the bodies round-robin over the partitions and receives them all with a subscriber. */
async function throughTheHub(
  stack: LocalStack,
  hub: string,
  consumerGroup: string,
  bodies: readonly Buffer[],
  stallMs: number,
): Promise<{ received: number; receivedBytes: number }> {
  const producer = new EventHubProducerClient(stack.eventHubsConnectionString, hub);
  const consumer = new EventHubConsumerClient(consumerGroup, stack.eventHubsConnectionString, hub);
  let received = 0;
  let receivedBytes = 0;
  try {
    const partitionIds = await producer.getPartitionIds();
    await new EventHubsEventPublisher(producer, hub).publish(
      bodies.map((body, index) => ({ body, partitionId: partitionIds[index % partitionIds.length] })),
    );
    if (bodies.length === 0) return { received, receivedBytes };
    await new Promise<void>((resolve, reject) => {
      let stall: NodeJS.Timeout | undefined;
      const watch = () => {
        clearTimeout(stall);
        stall = setTimeout(
          () => reject(new Error(`the emulator delivered ${received} of ${bodies.length} events, then nothing for ${stallMs} ms`)),
          stallMs,
        );
      };
      watch();
      consumer.subscribe(
        {
          processEvents: async (batch) => {
            received += batch.length;
            for (const event of batch) receivedBytes += (event.body as Buffer).length;
            if (received < bodies.length) return watch();
            clearTimeout(stall);
            // The consumer's close in `finally` stops the subscription.
            resolve();
          },
          processError: async (error) => {
            clearTimeout(stall);
            reject(error);
          },
        },
        {
          startPosition: earliestEventPosition,
          maxBatchSize: 100,
          maxWaitTimeInSeconds: 0.25,
          prefetchCount: 300,
          skipParsingBodyAsJson: true,
        },
      );
    });
    return { received, receivedBytes };
  } finally {
    await Promise.all([producer.close(), consumer.close()]);
  }
}

/** A chunk being gathered: rows as extract sends them, and the facts transform makes of them. */
interface PendingChunk {
  readonly rowNumbers: number[];
  readonly fields: string[][];
  readonly facts: Fact[];
  bytes: number;
}

/** Every part measured alone on the file at `path`; the services run in processes of their own. */
export async function measureFloor(path: string, directory: string, options: FloorOptions): Promise<FloorResult> {
  const stack = await startLocalStack({
    stateDir: join(directory, 'floor-stack'),
    ports: 'free',
    partitions: options.partitions,
    functionsHost: false,
    settings: options.settings,
    log: () => {},
  });
  try {
    const config = loadEtlConfig(stack.settings);
    const blobName = `${iotEventsDataset.name}/floor.csv`;
    const parts: FloorPart[] = [];

    // 1. Storage: the upload, then the streamed download extract does.
    parts.push(...(await storageParts(stack, path, blobName, config.containers.landing)));

    // 2. Reading the CSV, then reading and validating: the difference is validation.
    const reading = await readingParts(path);
    parts.push(...reading.parts);

    // 3 and 4. The valid rows as chunk events, encoded and decoded, and their facts loaded.
    const batches = await timeBatches(path, directory, config, blobName);
    parts.push(
      { name: 'event JSON: encode', cpuSeconds: batches.encodeSeconds },
      { name: 'event JSON: decode', cpuSeconds: batches.decodeSeconds },
    );

    // 5. The events through the emulator: published with the SDK, received by a subscriber.
    const { bodies } = batches;
    let delivery = { received: 0, receivedBytes: 0 };
    parts.push(
      await measure(
        'events through the emulator',
        async () => {
          delivery = await throughTheHub(
            stack,
            config.hubs.records,
            config.hubs.transformConsumerGroup,
            bodies,
            options.receiveStallMs ?? 30_000,
          );
        },
        serviceProcess(stack, 'eventhubs'),
      ),
    );
    parts.push({ name: 'SQLite load', cpuSeconds: batches.sqliteSeconds });
    const bytes = bodies.reduce((total, body) => total + body.length, 0);
    return {
      rows: reading.rows,
      validRows: reading.validRows,
      events: { sent: bodies.length, ...delivery, bytes },
      transactions: batches.transactions,
      loadedFacts: batches.loaded,
      parts,
    };
  } finally {
    await stack.close();
  }
}

/** The upload to Azurite, then the streamed download extract does, each with Azurite's CPU. */
async function storageParts(stack: LocalStack, path: string, blobName: string, landing: string): Promise<FloorPart[]> {
  const azurite = serviceProcess(stack, 'azurite');
  const upload = await measure('storage: upload', () => uploadCsv(stack.blobService, blobName, createReadStream(path), landing), azurite);
  const download = await measure(
    'storage: download',
    async () => {
      const blobs = new AzureBlobSource(stack.blobService);
      const info = await blobs.info(landing, blobName);
      if (!info) throw new Error(`the uploaded file is not in ${landing}`);
      let bytes = 0;
      for await (const chunk of await blobs.read(landing, blobName, info.etag)) bytes += chunk.length;
      if (bytes !== info.contentLength) throw new Error(`downloaded ${bytes} bytes of ${info.contentLength}`);
    },
    azurite,
  );
  return [upload, download];
}

/**
 * Reading the CSV, and validation as the difference between reading and reading-and-validating.
 * A first, untimed read warms the code up, so that neither timed pass runs colder than the other.
 */
async function readingParts(path: string): Promise<{ parts: FloorPart[]; rows: number; validRows: number }> {
  await eachRow(path, () => {});
  let rows = 0;
  const read = await measure('read CSV', async () => {
    rows = await eachRow(path, () => {});
  });
  let validRows = 0;
  const readAndValidate = await measure('read + validate', async () => {
    await eachRow(path, (binding, fields) => {
      if (validateRow(iotEventsDataset, binding, fields).ok) validRows += 1;
    });
  });
  return { parts: [read, { name: 'validate', cpuSeconds: readAndValidate.cpuSeconds - read.cpuSeconds }], rows, validRows };
}

/** The CPU of encoding, decoding and loading, summed over the batches; the bodies, kept for the emulator part. */
interface BatchTimes {
  readonly bodies: Buffer[];
  encodeSeconds: number;
  decodeSeconds: number;
  sqliteSeconds: number;
  transactions: number;
  loaded: number;
}

/**
 * The valid rows, a transform batch at a time (up to its rows per transaction), cut into chunks as
 * extract cuts them. Per batch, three windows with nothing else in them: the chunks encoded, the
 * bodies decoded as transform gets them, and the facts loaded.
 */
async function timeBatches(path: string, directory: string, config: EtlConfig, blobName: string): Promise<BatchTimes> {
  const dataset = iotEventsDataset;
  const encoder = new ChunkEventEncoder({
    type: CHUNK_EVENT_TYPE,
    v: 1,
    dataset: dataset.name,
    datasetVersion: dataset.version,
    fileId: 'floor',
    blobName,
  });
  const store = await SqliteEtlStore.open(join(directory, 'floor.sqlite'));
  const times: BatchTimes = { bodies: [], encodeSeconds: 0, decodeSeconds: 0, sqliteSeconds: 0, transactions: 0, loaded: 0 };
  try {
    await store.migrate([dataset]);
    await eachBatch(path, config, (batch, batchRows) => timeBatch(batch, batchRows, { encoder, store, config, times }));
  } finally {
    await store.close();
  }
  return times;
}

/** Cuts the file's valid rows into chunks as extract does, and hands them on a transaction's worth at a time. */
async function eachBatch(
  path: string,
  config: EtlConfig,
  onBatch: (batch: PendingChunk[], batchRows: number) => Promise<void>,
): Promise<void> {
  const dataset = iotEventsDataset;
  let batch: PendingChunk[] = [];
  let batchRows = 0;
  const runBatch = async () => {
    if (batch.length === 0) return;
    await onBatch(batch, batchRows);
    batch = [];
    batchRows = 0;
  };
  let chunk: PendingChunk | undefined;
  await eachRow(path, async (binding, fields, rowNumber) => {
    const validation = validateRow(dataset, binding, fields);
    if (!validation.ok) return;
    const chunkFields = binding.indexes.map((index) => (fields[index] ?? '').trim());
    const bytes = chunkRowBytes(chunkFields);
    if (chunk && chunk.fields.length > 0 && chunk.bytes + bytes > config.chunk.maxBytes) chunk = undefined;
    if (!chunk) {
      if (batchRows >= config.transformTransactionRows) await runBatch();
      chunk = { rowNumbers: [], fields: [], facts: [], bytes: 0 };
      batch.push(chunk);
    }
    chunk.rowNumbers.push(rowNumber);
    chunk.fields.push(chunkFields);
    chunk.facts.push(toFact(dataset, validation.row, 'floor', rowNumber));
    chunk.bytes += bytes;
    batchRows += 1;
    if (chunk.fields.length >= config.chunk.maxRows) chunk = undefined;
  });
  await runBatch();
}

/** One batch through the three timed windows: encode, decode, load. */
async function timeBatch(
  batch: readonly PendingChunk[],
  batchRows: number,
  { encoder, store, config, times }: { encoder: ChunkEventEncoder; store: SqliteEtlStore; config: EtlConfig; times: BatchTimes },
): Promise<void> {
  const dataset = iotEventsDataset;
  const declared = (name: string) =>
    name === dataset.name ? { columnCount: dataset.columns.length, version: dataset.version } : undefined;
  const first = times.bodies.length;
  let started = ownCpuSeconds();
  const encoded = batch.map((chunk, index) => {
    const rows = encoder.startChunk();
    for (let row = 0; row < chunk.fields.length; row += 1) rows.add(chunk.rowNumbers[row]!, chunk.fields[row]!);
    return encoder.encode(rows, first + index);
  });
  times.encodeSeconds += ownCpuSeconds() - started;
  // Kept for the emulator part; the encoder's buffers go back to its pool, as after a publish.
  const batchBodies = encoded.map((event) => {
    const copy = Buffer.from(event.body);
    event.release();
    return copy;
  });
  started = ownCpuSeconds();
  let decodedRows = 0;
  for (const body of batchBodies) decodedRows += parseChunkEvent(JSON.parse(body.toString('utf8')), declared).rows.length;
  times.decodeSeconds += ownCpuSeconds() - started;
  if (decodedRows !== batchRows) throw new Error(`decoded ${decodedRows} rows of ${batchRows}`);
  times.bodies.push(...batchBodies);
  const inputs: ChunkLoadInput[] = batch.map((chunk, index) => ({
    dataset,
    fileId: 'floor',
    chunkId: chunkIdOf('floor', first + index),
    facts: chunk.facts,
  }));
  const groups = planTransactions(inputs, config.transformTransactionRows);
  started = ownCpuSeconds();
  for (const group of groups) {
    const result = await store.facts.loadChunks(
      group.map((index) => inputs[index]!),
      () => [],
    );
    for (const chunk of result.chunks) times.loaded += chunk.loaded;
  }
  times.sqliteSeconds += ownCpuSeconds() - started;
  times.transactions += groups.length;
}
