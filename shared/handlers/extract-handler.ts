/**
 * Extract: one landed CSV file → validated row chunks on the `records` hub.
 *
 * Streams the blob (memory does not grow with file size), validates every row against the
 * dataset, writes bad rows to the rejected sink, groups good rows by target partition into chunk
 * events and publishes them. Idempotent: the file id is derived from the blob path and content
 * version, the first attempt pins how the file is cut (a retry cuts it the same way, whatever the
 * settings say by then), and transform's ledger drops chunks it has already applied, so a retried
 * trigger or an identical re-upload counts no row twice.
 */
import { createHash, randomUUID } from 'node:crypto';
import { LANDING_POISON_QUEUE } from '../config/app-settings.js';
import { errorText } from './dead-lettering.js';
import { DEFAULT_CSV_DIALECT, type DatasetDeclaration } from '../datasets/dataset-declaration.js';
import { datasetForBlobName, undeclaredDatasetOf } from '../datasets/dataset-registry.js';
import { readCsvBatches } from '../csv/csv-reader.js';
import { bindHeader } from '../validation/header-binding.js';
import { validateRow } from '../validation/validate-row.js';
import { EtlError, isEtlError } from '../errors/etl-error.js';
import type { BlobInfo, BlobSource } from '../ports/blob-source.js';
import type { EventPublisher, OutgoingEvent } from '../ports/event-publisher.js';
import type { ManifestStore } from '../ports/etl-store.js';
import type { FileManifest } from '../ports/file-manifest.js';
import type { ChunkPlan, ChunkPlanStore } from '../ports/chunk-plan-store.js';
import type { RejectedRowSink, RejectedRowWriter } from '../ports/rejected-row-sink.js';
import { CHUNK_EVENT_TYPE } from '../messages/chunk-event.js';
import { ChunkEventEncoder, type ChunkRows } from '../messages/chunk-event-encoder.js';
import { partitionIndexFor } from '../messages/partition-routing.js';
import type { Logger } from '../runtime/logger.js';
import { startStopwatch, unixSeconds, type PipelineMetrics } from '../telemetry/pipeline-metrics.js';

export interface ExtractDependencies {
  readonly datasets: ReadonlyMap<string, DatasetDeclaration>;
  readonly blobs: BlobSource;
  readonly manifest: ManifestStore;
  readonly rejected: RejectedRowSink;
  readonly records: EventPublisher;
  /** Chunk limits for a file's first attempt; a retry follows the plan that attempt pinned. */
  readonly chunk: { readonly maxRows: number; readonly maxBytes: number };
  readonly plans: ChunkPlanStore;
  readonly clock: () => Date;
  readonly log: Logger;
  /** Row, chunk and file counts and the file duration; optional so that callers may leave metrics out. */
  readonly metrics?: PipelineMetrics;
  /** How often extract touches the manifest of the file it reads; default `EXTRACT_HEARTBEAT_MS`. */
  readonly heartbeatMs?: number;
}

/** How one delivery of a landed file stands among its attempts. */
export interface ExtractAttempt {
  /**
   * The host's last dequeue of the landing message: when this attempt throws, the message goes to
   * the poison queue, so the file is failed first (with the error) rather than left `extracting`.
   */
  readonly last: boolean;
}

/**
 * While extract reads a file it touches the file's manifest this often; the extract sweep puts a
 * file's landing event back only after a much longer silence (docs/faults.md#stalled-extracts).
 */
export const EXTRACT_HEARTBEAT_MS = 30_000;

/** A blob that was created or overwritten in the landing container. */
export interface LandedBlob {
  readonly container: string;
  readonly blobName: string;
}

export type ExtractOutcome =
  | {
      readonly status: 'extracted';
      readonly fileId: string;
      readonly totalRows: number;
      readonly validRows: number;
      readonly rejectedRows: number;
      readonly chunks: number;
    }
  | { readonly status: 'skipped'; readonly fileId?: string; readonly reason: string }
  | { readonly status: 'failed'; readonly fileId: string; readonly reason: string };

/** Chunks published concurrently: enough to keep the hub busy, few enough to bound memory. */
const PUBLISH_CONCURRENCY = 8;
/** Per-field overhead of the JSON encoding (quotes, comma). */
const FIELD_OVERHEAD_BYTES = 3;

/**
 * What one row adds to a chunk event, estimated from its fields (their JSON overhead, and its row
 * number and brackets): extract cuts a chunk before this would take it past `ETL_CHUNK_MAX_BYTES`.
 */
export function chunkRowBytes(fields: readonly string[]): number {
  let bytes = 16;
  for (const field of fields) bytes += field.length + FIELD_OVERHEAD_BYTES;
  return bytes;
}

/**
 * The id of one content version at one path: the same bytes uploaded again to the same path give
 * the same id (when the service knows the content MD5), so they are not extracted twice.
 */
export function fileIdFor(container: string, blobName: string, version: { contentMd5?: string; etag: string }): string {
  return createHash('sha256')
    .update(`${container}/${blobName}\n${version.contentMd5 ?? version.etag}`)
    .digest('hex')
    .slice(0, 32);
}

/**
 * Why extract will not read a landed blob, or undefined. Checked before any storage call:
 * storage clients resolve `.` and `..` segments (`iot_events/../x.csv` reads `x.csv`), so such a
 * name would load another blob's rows under this one's name; and only `.csv` files are extracted.
 * The file fails with the reason, so that it shows in the status API (docs/faults.md).
 */
export function refusedBlobName(blobName: string): string | undefined {
  const segments = blobName.split(/[/\\]/);
  if (segments.some((segment) => segment === '' || segment === '.' || segment === '..')) {
    return `not extracted: '${blobName}' has an empty, '.' or '..' path segment, which storage resolves to another blob; upload it under a plain path`;
  }
  if (!blobName.toLowerCase().endsWith('.csv')) return `not extracted: '${blobName}' is not a .csv file (only .csv files are extracted)`;
  return undefined;
}

/**
 * What in a declaration decides which rows are valid, their fields and their partition: a retry
 * against a declaration with another fingerprint would cut the file differently.
 */
export function declarationFingerprint(dataset: DatasetDeclaration): string {
  const cutBy = {
    version: dataset.version,
    columns: dataset.columns,
    partitionKey: dataset.partitionKey ?? null,
    csv: dataset.csv ?? null,
  };
  return createHash('sha256').update(JSON.stringify(cutBy)).digest('hex');
}

/**
 * A `BlobCreated` event for a landed blob, as the extract sweep puts one back on `landing-events`: it
 * has the fields of Event Grid's event that extract reads (`subject`, `eventType`), and `data.api`
 * says who sent it.
 */
export function landingEventFor(blob: LandedBlob & { readonly etag: string }, at: Date): Record<string, unknown> {
  return {
    id: randomUUID(),
    subject: `/blobServices/default/containers/${blob.container}/blobs/${blob.blobName}`,
    eventType: 'Microsoft.Storage.BlobCreated',
    eventTime: at.toISOString(),
    data: { api: 'ExtractSweep', eTag: blob.etag },
    dataVersion: '',
    metadataVersion: '1',
  };
}

/** Read an Event Grid `Microsoft.Storage.BlobCreated` event (as delivered to the `landing-events` queue). */
export function landedBlobFromEvent(event: unknown): LandedBlob {
  const subject = (event as { subject?: unknown } | null)?.subject;
  const eventType = (event as { eventType?: unknown } | null)?.eventType;
  if (typeof subject !== 'string' || (eventType !== undefined && eventType !== 'Microsoft.Storage.BlobCreated')) {
    throw new EtlError('MALFORMED_EVENT', 'expected an Event Grid Microsoft.Storage.BlobCreated event with a subject');
  }
  const match = /^\/blobServices\/default\/containers\/([^/]+)\/blobs\/(.+)$/.exec(subject);
  if (!match) throw new EtlError('MALFORMED_EVENT', `unexpected BlobCreated subject '${subject}'`);
  return { container: match[1]!, blobName: match[2]! };
}

interface PendingChunk {
  /** Rows already encoded as the event's bytes (see chunk-event-encoder.ts for why). */
  rows: ChunkRows;
  /** Size estimate that decides where chunks end; kept as it was so that chunk boundaries stay the same. */
  bytes: number;
}

/** The file being extracted, as its chunk events name it. */
interface ExtractedFile {
  readonly dataset: DatasetDeclaration;
  readonly fileId: string;
  readonly blobName: string;
}

/** How the file's rows go to partitions: the pinned plan, and the hub's partitions today. */
interface ChunkRoute {
  readonly plan: ChunkPlan;
  readonly partitionIds: readonly string[];
}

type ExtractCounts = { totalRows: number; validRows: number; rejectedRows: number; chunks: number };

export async function extractFile(
  deps: ExtractDependencies,
  blob: LandedBlob,
  attempt: ExtractAttempt = { last: false },
): Promise<ExtractOutcome> {
  const elapsedSeconds = startStopwatch();
  const outcome = await extractLandedFile(deps, blob, attempt);
  if (deps.metrics)
    recordExtractOutcome(
      deps.metrics,
      datasetForBlobName(deps.datasets, blob.blobName)?.name ?? 'unknown',
      outcome,
      elapsedSeconds(),
      deps.clock(),
    );
  return outcome;
}

/** Counted when a file is finished (not when extract throws: the queue retries it, and it is counted then). */
function recordExtractOutcome(metrics: PipelineMetrics, dataset: string, outcome: ExtractOutcome, seconds: number, now: Date): void {
  metrics.increment('etl_files_extracted_total', { dataset, outcome: outcome.status });
  if (outcome.status === 'extracted') {
    metrics.increment('etl_rows_extracted_total', { dataset }, outcome.totalRows);
    metrics.increment('etl_rows_valid_total', { dataset }, outcome.validRows);
    metrics.increment('etl_rows_rejected_total', { dataset }, outcome.rejectedRows);
    metrics.observe('etl_extract_file_seconds', { dataset }, seconds);
  }
  metrics.set('etl_last_batch_timestamp_seconds', { stage: 'extract' }, unixSeconds(now));
}

async function extractLandedFile(deps: ExtractDependencies, blob: LandedBlob, attempt: ExtractAttempt): Promise<ExtractOutcome> {
  const { blobName, container } = blob;
  const refusal = refusedBlobName(blobName);
  if (refusal) return refuseFile(deps, blob, refusal);
  const info = await deps.blobs.info(container, blobName);
  if (!info) return { status: 'skipped', reason: `${container}/${blobName} no longer exists` };
  const begun = await beginFile(deps, blob, info);
  if ('status' in begun) return begun;
  const stopHeartbeat = startHeartbeat(deps, begun.fileId);
  try {
    const route = await pinChunkRoute(deps, begun);
    if ('reason' in route) return await failFile(deps, begun.fileId, route.reason, `extract: ${blobName}: ${route.reason}`);
    return await extractPinnedFile(deps, { ...begun, container, etag: info.etag }, route);
  } catch (error) {
    if (attempt.last) await failLastAttempt(deps, begun, error);
    throw error;
  } finally {
    stopHeartbeat();
  }
}

/** Touches the file's manifest every heartbeat while extract reads it; returns the function that stops. */
function startHeartbeat(deps: ExtractDependencies, fileId: string): () => void {
  const timer = setInterval(() => {
    deps.manifest
      .touchExtracting(fileId, deps.clock().toISOString())
      .catch((error: unknown) => deps.log.warn(`extract: heartbeat of file ${fileId} failed: ${errorText(error)}`));
  }, deps.heartbeatMs ?? EXTRACT_HEARTBEAT_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/** The last attempt threw: the file fails with the error, so that status shows it (the message goes to the poison queue). */
async function failLastAttempt(deps: ExtractDependencies, file: ExtractedFile, error: unknown): Promise<void> {
  const reason =
    `extract gave up on the last delivery: ${errorText(error)}. The landing event is in ${LANDING_POISON_QUEUE}; ` +
    '`npm run etl -- replay --all` puts it back once the cause is fixed';
  await failFile(deps, file.fileId, reason, `extract: ${file.blobName}: ${reason}`).catch((failed: unknown) =>
    deps.log.warn(`extract: could not fail file ${file.fileId} after its last attempt: ${errorText(failed)}`),
  );
}

/**
 * Records the file in the manifest under its id; an outcome instead when there is nothing to extract
 * (already extracted, or no dataset declared for its folder).
 */
async function beginFile(
  deps: ExtractDependencies,
  { container, blobName }: LandedBlob,
  info: BlobInfo,
): Promise<ExtractedFile | ExtractOutcome> {
  const fileId = fileIdFor(container, blobName, info);
  const dataset = datasetForBlobName(deps.datasets, blobName);
  const undeclared = dataset ? undefined : undeclaredDatasetOf(deps.datasets, blobName);
  const begun = await deps.manifest.beginFile({
    fileId,
    dataset: dataset?.name ?? undeclared?.recordedAs ?? '',
    blobName,
    blobEtag: info.etag,
    receivedAt: deps.clock().toISOString(),
  });
  if (!begun.created && (begun.manifest.state === 'loading' || begun.manifest.state === 'complete')) {
    if (!dataset || (await extractedOutputsKept(deps, dataset, begun.manifest))) {
      deps.log.info(`extract: ${blobName} (file ${fileId}) was already extracted; skipping`);
      return { status: 'skipped', fileId, reason: 'already extracted' };
    }
    deps.log.warn(
      `extract: ${blobName} (file ${fileId}) was extracted, but its ${begun.manifest.rejectedRows} rejected rows are not in storage ` +
        '(writes lost after they were acknowledged): extracting it again; loaded rows are not counted twice',
    );
  }
  if (!dataset) {
    const reason = undeclared?.reason ?? `no dataset for '${blobName}'`;
    return failFile(deps, fileId, reason, `extract: ${reason}`);
  }
  return { dataset, fileId, blobName };
}

/**
 * Whether what extract stored beside the manifest is still there. Azure Storage keeps what it
 * acknowledged; Azurite killed within its 5 s save interval does not, and a delivery after that
 * would otherwise skip the file with its rejected rows gone (docs/fault-injection.md).
 */
async function extractedOutputsKept(deps: ExtractDependencies, dataset: DatasetDeclaration, manifest: FileManifest): Promise<boolean> {
  return manifest.rejectedRows === 0 || deps.rejected.has({ dataset: dataset.name, fileId: manifest.fileId });
}

/**
 * Pins how the file is cut on its first attempt and reads that plan back on a retry; the reason
 * instead when the declaration changed since the plan was pinned (a retry could not cut it the same way).
 */
async function pinChunkRoute(deps: ExtractDependencies, { dataset, fileId }: ExtractedFile): Promise<ChunkRoute | { reason: string }> {
  const partitionIds = await deps.records.partitionIds();
  const declaration = declarationFingerprint(dataset);
  const plan = await deps.plans.pin(
    { dataset: dataset.name, fileId },
    {
      maxRows: deps.chunk.maxRows,
      maxBytes: deps.chunk.maxBytes,
      partitionCount: partitionIds.length,
      datasetVersion: dataset.version,
      declaration,
    },
  );
  if (plan.declaration === declaration) return { plan, partitionIds };
  const change =
    plan.datasetVersion === dataset.version ? `still version ${dataset.version}` : `version ${plan.datasetVersion} → ${dataset.version}`;
  return {
    reason:
      `the declaration of dataset '${dataset.name}' changed (${change}) since this file was first extracted, so a retry cannot ` +
      `cut it into the chunks already sent; upload the file under a new name to load it against the current declaration`,
  };
}

/** Reads the file's rows into chunk events and its rejected rows into the sink, and records the counts. */
async function extractPinnedFile(
  deps: ExtractDependencies,
  file: ExtractedFile & { readonly container: string; readonly etag: string },
  route: ChunkRoute,
): Promise<ExtractOutcome> {
  const { dataset, fileId, blobName } = file;
  const writer = deps.rejected.open({ dataset: dataset.name, fileId, blobName });
  try {
    const counts = await extractRows(deps, file, await deps.blobs.read(file.container, blobName, file.etag), route, writer);
    await writer.close();
    if ('headerError' in counts) return failFile(deps, fileId, counts.headerError, `extract: ${blobName}: ${counts.headerError}`);
    await deps.manifest.finishExtract(fileId, counts, deps.clock().toISOString());
    deps.log.info(
      `extract: ${blobName} (file ${fileId}): ${counts.totalRows} rows, ${counts.validRows} valid, ${counts.rejectedRows} rejected, ${counts.chunks} chunks`,
    );
    return { status: 'extracted', fileId, ...counts };
  } catch (error) {
    await writer.close().catch(() => undefined);
    // Not text at all (the header cannot be read): retrying cannot help, so the file fails now.
    if (isEtlError(error, 'UNREADABLE_FILE')) return failFile(deps, fileId, error.message, `extract: ${blobName}: ${error.message}`);
    throw error;
  }
}

/** Fails the file in the manifest with the reason, and warns with `logLine`. */
async function failFile(deps: ExtractDependencies, fileId: string, reason: string, logLine: string): Promise<ExtractOutcome> {
  await deps.manifest.failFile(fileId, reason, deps.clock().toISOString());
  deps.log.warn(logLine);
  return { status: 'failed', fileId, reason };
}

/** A file extract will not read: failed with the reason, under an id of its name alone (it has no version to read). */
async function refuseFile(deps: ExtractDependencies, { container, blobName }: LandedBlob, reason: string): Promise<ExtractOutcome> {
  const fileId = fileIdFor(container, blobName, { etag: '' });
  const dataset = datasetForBlobName(deps.datasets, blobName)?.name ?? undeclaredDatasetOf(deps.datasets, blobName).recordedAs;
  await deps.manifest.beginFile({ fileId, dataset, blobName, blobEtag: '', receivedAt: deps.clock().toISOString() });
  return failFile(deps, fileId, reason, `extract: ${reason}`);
}

/** The repeated-header row's reason: files joined together keep each file's header. */
const REPEATED_HEADER = 'the header again: a line repeats the header (files joined together?)';

/**
 * The row loop, kept whole because it runs once per row: a valid row ends in one synchronous
 * `FileChunks.add`, which makes no promise unless it cuts a chunk.
 */
async function extractRows(
  deps: ExtractDependencies,
  file: ExtractedFile,
  content: AsyncIterable<Uint8Array>,
  route: ChunkRoute,
  rejected: RejectedRowWriter,
): Promise<ExtractCounts | { headerError: string }> {
  const { dataset } = file;
  // Without a partition key, rows are spread by their whole text (each row still goes to one partition).
  const keyColumn = dataset.partitionKey === undefined ? -1 : dataset.columns.findIndex((column) => column.name === dataset.partitionKey);
  const csv = dataset.csv ?? DEFAULT_CSV_DIALECT;
  const partitionCount = route.plan.partitionCount;
  const chunks = new FileChunks(deps, file, route);
  let header: readonly string[] = [];
  let binding: ReturnType<typeof bindHeader> | undefined;
  let totalRows = 0;
  let validRows = 0;
  let rejectedRows = 0;
  // Batches, not single items: a promise per row was a large share of what each row allocated.
  for await (const items of readCsvBatches(content, { dialect: csv, encoding: csv.encoding })) {
    for (const item of items) {
      if (item.kind === 'header') {
        binding = bindHeader(dataset, item.fields);
        if (!binding.ok) return { headerError: `wrong header: ${binding.reason}` };
        header = item.fields;
        continue;
      }
      totalRows += 1;
      if (item.kind === 'error') {
        rejectedRows += 1;
        await rejected.write({ rowNumber: item.rowNumber, raw: item.raw, reason: item.reason });
        continue;
      }
      if (!binding?.ok) throw new EtlError('INTERNAL', 'the CSV reader yielded a row before the header');
      if (item.fields[0] === header[0] && item.fields.every((field, index) => field === header[index])) {
        rejectedRows += 1;
        await rejected.write({ rowNumber: item.rowNumber, raw: item.raw, reason: REPEATED_HEADER });
        continue;
      }
      const validation = validateRow(dataset, binding.binding, item.fields);
      if (!validation.ok) {
        rejectedRows += 1;
        await rejected.write({ rowNumber: item.rowNumber, raw: item.raw, reason: validation.reason });
        continue;
      }
      validRows += 1;
      const fields = binding.binding.indexes.map((index) => (item.fields[index] ?? '').trim());
      const partitionIndex = partitionIndexFor(keyColumn < 0 ? item.raw : (fields[keyColumn] ?? ''), partitionCount);
      const cutting = chunks.add(partitionIndex, item.rowNumber, fields);
      if (cutting) await cutting;
    }
  }
  // An empty file (not even a header) has no rows to account for.
  if (!binding) return { totalRows: 0, validRows: 0, rejectedRows: 0, chunks: 0 };
  return { totalRows, validRows, rejectedRows, chunks: await chunks.finish() };
}

/**
 * The chunk events of one file: valid rows gathered per partition of the plan, a chunk cut before a
 * row would take it past the plan's bytes or once it holds the plan's rows, and published with at
 * most `PUBLISH_CONCURRENCY` in flight.
 */
class FileChunks {
  private readonly encoder: ChunkEventEncoder;
  private readonly pending = new Map<number, PendingChunk>();
  private readonly inFlight = new Set<Promise<void>>();
  private failure: unknown;
  private published = 0;

  constructor(
    private readonly deps: Pick<ExtractDependencies, 'records' | 'metrics'>,
    private readonly file: ExtractedFile,
    private readonly route: ChunkRoute,
  ) {
    const { dataset, fileId, blobName } = file;
    this.encoder = new ChunkEventEncoder({
      type: CHUNK_EVENT_TYPE,
      v: 1,
      dataset: dataset.name,
      datasetVersion: dataset.version,
      fileId,
      blobName,
    });
  }

  /**
   * Adds a valid row to its partition's chunk. Returns the publish to await when a chunk was cut,
   * undefined otherwise (the common case: no promise, nothing allocated beyond the row's bytes).
   */
  add(partitionIndex: number, rowNumber: number, fields: readonly string[]): Promise<void> | undefined {
    const bytes = chunkRowBytes(fields);
    const chunk = this.pending.get(partitionIndex) ?? this.start(partitionIndex);
    if (chunk.rows.rowCount > 0 && chunk.bytes + bytes > this.route.plan.maxBytes) {
      return this.cutThenAdd(partitionIndex, chunk, rowNumber, fields, bytes);
    }
    return this.append(partitionIndex, chunk, rowNumber, fields, bytes);
  }

  /** Publishes what is still gathered, in partition order, waits for every publish; returns how many chunks the file made. */
  async finish(): Promise<number> {
    for (const [partitionIndex, chunk] of [...this.pending].sort(([a], [b]) => a - b)) await this.publish(partitionIndex, chunk);
    await Promise.all(this.inFlight);
    if (this.failure) throw this.failure;
    return this.published;
  }

  private start(partitionIndex: number): PendingChunk {
    const chunk = { rows: this.encoder.startChunk(), bytes: 0 };
    this.pending.set(partitionIndex, chunk);
    return chunk;
  }

  /** The row would take the chunk past the plan's bytes: the chunk is published first, the row starts the next one. */
  private async cutThenAdd(
    partitionIndex: number,
    full: PendingChunk,
    rowNumber: number,
    fields: readonly string[],
    bytes: number,
  ): Promise<void> {
    this.pending.delete(partitionIndex);
    await this.publish(partitionIndex, full);
    await this.append(partitionIndex, this.start(partitionIndex), rowNumber, fields, bytes);
  }

  private append(
    partitionIndex: number,
    chunk: PendingChunk,
    rowNumber: number,
    fields: readonly string[],
    bytes: number,
  ): Promise<void> | undefined {
    chunk.rows.add(rowNumber, fields);
    chunk.bytes += bytes;
    if (chunk.rows.rowCount < this.route.plan.maxRows) return undefined;
    this.pending.delete(partitionIndex);
    return this.publish(partitionIndex, chunk);
  }

  private async publish(partitionIndex: number, chunk: PendingChunk): Promise<void> {
    const event = this.encoder.encode(chunk.rows, this.published);
    this.published += 1;
    const { partitionIds } = this.route;
    // Rows are grouped by the plan's partitions; should the hub have fewer now, they fold onto its own.
    const outgoing: OutgoingEvent = {
      body: event.body,
      partitionId: partitionIds[partitionIndex % partitionIds.length],
      properties: event.properties,
    };
    const sending = this.deps.records.publish([outgoing]).then(
      () => {
        // The publisher is done with the body; a failed publish fails the file, so its body is left to the GC.
        event.release();
        this.inFlight.delete(sending);
        this.deps.metrics?.increment('etl_chunks_published_total', { dataset: this.file.dataset.name });
      },
      (error: unknown) => {
        this.inFlight.delete(sending);
        this.failure ??= error;
      },
    );
    this.inFlight.add(sending);
    if (this.inFlight.size >= PUBLISH_CONCURRENCY) await Promise.race(this.inFlight);
    if (this.failure) throw this.failure;
  }
}
