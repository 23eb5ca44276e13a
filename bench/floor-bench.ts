/**
 * The floor: the CPU each part of the end-to-end run costs per row when it runs on its own, on the
 * same file and the same local services. The parts are the ones any run of this pipeline must do:
 * move the file through Azurite, read the CSV, validate, turn rows into event bodies and back, move
 * the events through the Event Hubs emulator, and load the facts into SQLite. Each part is measured
 * alone, one after the other, so its CPU seconds are its own (this process, plus Azurite's or the
 * emulator's where they serve it, read from /proc).
 *
 * Their sum is a lower bound on the CPU per row of the whole run: what is left over in the
 * end-to-end figure is the Functions host, checkpoints, manifests, partials and aggregation, and the
 * cost of running everything at once (GC, scheduling). `cores / sum` is then the fastest the
 * pipeline could go here even if every other cost were zero and the parts overlapped perfectly.
 */
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { EventHubConsumerClient, EventHubProducerClient, earliestEventPosition } from '@azure/event-hubs';
import { startLocalStack, type LocalStack } from '../local/cli/local-stack.js';
import { uploadCsv } from '../local/cli/upload-file.js';
import { AzureBlobSource } from '../shared/adapters/azure-blob-source.js';
import { EventHubsEventPublisher } from '../shared/adapters/eventhubs-event-publisher.js';
import { readCsvBatches } from '../shared/csv/csv-reader.js';
import { iotEventsDataset } from '../shared/datasets/iot-events.js';
import type { Fact } from '../shared/datasets/dataset-declaration.js';
import { CHUNK_EVENT_TYPE, chunkIdOf, type ChunkEvent } from '../shared/messages/chunk-event.js';
import type { ChunkLoadInput } from '../shared/ports/etl-store.js';
import { SqliteEtlStore } from '../shared/sql/sqlite/sqlite-etl-store.js';
import { toFact } from '../shared/transform/to-fact.js';
import { loadEtlConfig } from '../shared/config/etl-config.js';
import { bindHeader, type HeaderBinding } from '../shared/validation/header-binding.js';
import { validateRow } from '../shared/validation/validate-row.js';
import { processCpuSeconds } from '../load-tests/process-cpu.js';

export interface FloorPart {
  readonly name: string;
  /** CPU seconds of this process and of the service named in `service`, over the part alone. */
  readonly cpuSeconds: number;
  /** The service process that served the part, and its share of `cpuSeconds`. */
  readonly service?: { readonly name: string; readonly cpuSeconds: number };
}

export interface FloorOptions {
  readonly partitions: number;
  /** Settings for the stack, e.g. a smaller `ETL_CHUNK_MAX_ROWS`; chunks are cut with its limits. */
  readonly settings?: Readonly<Record<string, string>>;
}

function ownCpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

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

async function drain(stream: AsyncIterable<Uint8Array>): Promise<number> {
  let bytes = 0;
  for await (const chunk of stream) bytes += chunk.length;
  return bytes;
}

/** Reads the file with the pipeline's reader; `onRow` sees each parsed row (header bound). */
async function eachRow(path: string, onRow: (binding: HeaderBinding, fields: string[], rowNumber: number) => void): Promise<number> {
  let binding: HeaderBinding | undefined;
  let rows = 0;
  for await (const items of readCsvBatches(createReadStream(path))) {
    for (const item of items) {
      if (item.kind === 'header') {
        const bound = bindHeader(iotEventsDataset, item.fields);
        if (!bound.ok) throw new Error(`the generated file's header does not bind: ${bound.reason}`);
        binding = bound.binding;
      } else if (item.kind === 'row') {
        rows += 1;
        onRow(binding!, item.fields, item.rowNumber);
      } else rows += 1;
    }
  }
  return rows;
}

/** Every part measured alone on the file at `path`; the services run in processes of their own. */
export interface FloorResult {
  /** Data rows in the file. */
  readonly rows: number;
  /** Rows that passed validation: the rows of the chunk events. */
  readonly validRows: number;
  /** Chunk events published and received, and their body bytes. */
  readonly events: { readonly sent: number; readonly received: number; readonly bytes: number; readonly receivedBytes: number };
  /** Facts the SQLite load inserted (valid rows with a new key). */
  readonly loadedFacts: number;
  readonly parts: readonly FloorPart[];
}

export async function measureFloor(path: string, directory: string, options: FloorOptions): Promise<FloorResult> {
  const dataset = iotEventsDataset;
  const parts: FloorPart[] = [];
  const stack = await startLocalStack({ stateDir: join(directory, 'floor-stack'), ports: 'free', partitions: options.partitions, functionsHost: false, settings: options.settings, log: () => {} });
  try {
    // Chunks cut as extract cuts them with the stack's settings (rows and estimated JSON bytes), and
    // loaded as transform loads a full batch: whole chunks, up to its rows per transaction.
    const config = loadEtlConfig(stack.settings);
    const chunkLimits = config.chunk;
    // 1. Storage: the upload, then the download extract streams.
    parts.push(
      await measure(
        'storage (upload + download)',
        async () => {
          await uploadCsv(stack.blobService, 'iot_events/floor.csv', createReadStream(path));
          const blobs = new AzureBlobSource(stack.blobService);
          const info = await blobs.info('landing', 'iot_events/floor.csv');
          if (!info) throw new Error('the uploaded file is not in landing');
          const bytes = await drain(await blobs.read('landing', 'iot_events/floor.csv', info.etag));
          if (bytes !== info.contentLength) throw new Error(`downloaded ${bytes} bytes of ${info.contentLength}`);
        },
        serviceProcess(stack, 'azurite'),
      ),
    );

    // 2. Reading the CSV, then reading and validating: the difference is validation.
    let rows = 0;
    const read = await measure('read CSV', async () => {
      rows = await eachRow(path, () => {});
    });
    let valid = 0;
    const readAndValidate = await measure('read + validate', async () => {
      await eachRow(path, (binding, fields) => {
        if (validateRow(dataset, binding, fields).ok) valid += 1;
      });
    });
    parts.push(read, { name: 'validate', cpuSeconds: Math.max(0, readAndValidate.cpuSeconds - read.cpuSeconds) });

    // 3 and 4. One more pass cuts valid rows into chunk events as extract does and makes transform's
    // facts of them; only the JSON text out and back, and the SQLite transactions, are timed. A few
    // chunks live at a time: a heap holding the whole file's facts would make every collection cost
    // more and charge it to whichever part was running.
    const store = await SqliteEtlStore.open(join(directory, 'floor.sqlite'));
    const bodies: Buffer[] = [];
    let jsonSeconds = 0;
    let sqliteSeconds = 0;
    let loaded = 0;
    try {
      await store.migrate([dataset]);
      let pendingInputs: ChunkLoadInput[] = [];
      let pendingRows = 0;
      // The loader's work is synchronous (better-sqlite3): it is all done when loadChunks returns its promise.
      const loads: Promise<void>[] = [];
      const load = () => {
        if (pendingInputs.length === 0) return;
        const batch = pendingInputs;
        pendingInputs = [];
        pendingRows = 0;
        const before = ownCpuSeconds();
        const result = store.facts.loadChunks(batch, () => []);
        sqliteSeconds += ownCpuSeconds() - before;
        loads.push(result.then((done) => {
          for (const chunk of done.chunks) loaded += chunk.loaded;
        }));
      };
      let rowNumbers: number[] = [];
      let chunkFields: string[][] = [];
      let facts: Fact[] = [];
      let chunkBytes = 0;
      const cut = () => {
        if (chunkFields.length === 0) return;
        const chunkIndex = bodies.length;
        const event: ChunkEvent = { type: CHUNK_EVENT_TYPE, v: 1, dataset: dataset.name, datasetVersion: dataset.version, fileId: 'floor', blobName: 'iot_events/floor.csv', chunkIndex, rowNumbers, rows: chunkFields };
        const before = ownCpuSeconds();
        const body = Buffer.from(JSON.stringify(event));
        const parsed = JSON.parse(body.toString()) as ChunkEvent;
        jsonSeconds += ownCpuSeconds() - before;
        if (parsed.rows.length !== chunkFields.length) throw new Error('a chunk event did not survive its JSON');
        bodies.push(body);
        if (pendingRows + facts.length > config.transformTransactionRows) load();
        pendingInputs.push({ dataset, fileId: 'floor', chunkId: chunkIdOf('floor', chunkIndex), facts });
        pendingRows += facts.length;
        rowNumbers = [];
        chunkFields = [];
        facts = [];
        chunkBytes = 0;
      };
      await eachRow(path, (binding, fields, rowNumber) => {
        const validation = validateRow(dataset, binding, fields);
        if (!validation.ok) return;
        const chunkRow = binding.indexes.map((index) => (fields[index] ?? '').trim());
        const rowBytes = chunkRow.reduce((bytes, field) => bytes + field.length + 3, 16);
        if (chunkBytes + rowBytes > chunkLimits.maxBytes) cut();
        rowNumbers.push(rowNumber);
        chunkFields.push(chunkRow);
        chunkBytes += rowBytes;
        facts.push(toFact(dataset, validation.row, 'floor', rowNumber));
        if (chunkFields.length === chunkLimits.maxRows) cut();
      });
      cut();
      load();
      await Promise.all(loads);
    } finally {
      await store.close();
    }
    parts.push({ name: 'event JSON out + in', cpuSeconds: jsonSeconds });

    // 5. The events through the emulator: published with the SDK, received by a subscriber.
    let receivedEvents = 0;
    let receivedBytes = 0;
    parts.push(
      await measure(
        'events through the emulator',
        async () => {
          const hub = stack.settings.ETL_RECORDS_HUB ?? 'records';
          const producer = new EventHubProducerClient(stack.eventHubsConnectionString, hub);
          const consumer = new EventHubConsumerClient('transform', stack.eventHubsConnectionString, hub);
          try {
            const partitionIds = await producer.getPartitionIds();
            const publisher = new EventHubsEventPublisher(producer, hub);
            await publisher.publish(bodies.map((body, index) => ({ body, partitionId: partitionIds[index % partitionIds.length] })));
            if (bodies.length === 0) return;
            await new Promise<void>((resolve, reject) => {
              const subscription = consumer.subscribe(
                {
                  processEvents: async (batch) => {
                    receivedEvents += batch.length;
                    for (const event of batch) receivedBytes += (event.body as Buffer).length;
                    if (receivedEvents >= bodies.length) {
                      await subscription.close();
                      resolve();
                    }
                  },
                  processError: async (error) => reject(error),
                },
                { startPosition: earliestEventPosition, maxBatchSize: 100, maxWaitTimeInSeconds: 0.25, prefetchCount: 300, skipParsingBodyAsJson: true },
              );
            });
          } finally {
            await Promise.all([producer.close(), consumer.close()]);
          }
        },
        serviceProcess(stack, 'eventhubs'),
      ),
    );
    parts.push({ name: 'SQLite load', cpuSeconds: sqliteSeconds });
    const eventBytes = bodies.reduce((total, body) => total + body.length, 0);
    return { rows, validRows: valid, events: { sent: bodies.length, received: receivedEvents, bytes: eventBytes, receivedBytes }, loadedFacts: loaded, parts };
  } finally {
    await stack.close();
  }
}
