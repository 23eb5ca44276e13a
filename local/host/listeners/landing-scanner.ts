/**
 * The local stand-in for Event Grid: every `intervalMs` it lists the landing container and, for
 * each (blob, ETag) without a receipt, puts a `BlobCreated` event on the landing-events queue, as
 * Event Grid does in Azure. Receipts live where the blob trigger keeps its own
 * (`azure-webjobs-hosts/blobreceipts/<hostId>/<container>/<blob>/<etag>`), so deleting one
 * re-delivers that blob.
 *
 * Several host processes may scan at once: a receipt is claimed with create-if-not-exists before
 * the event is sent, so only one of them enqueues. The claim is marked `pending` until the event is
 * on the queue; a pending claim older than `pendingTimeoutMs` (its owner died in between) is taken
 * over, which keeps delivery at least once.
 */
import { BlobServiceClient, type BlobItem, type ContainerClient } from '@azure/storage-blob';
import { QueueServiceClient, type QueueClient } from '@azure/storage-queue';
import { resolveConnectionString } from '../binding-settings.js';
import type { HostLog } from '../invoke-function.js';
import { blobCreatedEvent } from './blob-created-event.js';
import { describeError, sleep, worthLogging, type TriggerListener } from './trigger-listener.js';

export interface LandingScanOptions {
  /** Container users drop files into. */
  readonly container: string;
  /** Queue that receives the BlobCreated events (the one Event Grid writes to in Azure). */
  readonly queue: string;
  readonly intervalMs: number;
  /** App setting with the storage connection string; default AzureWebJobsStorage. */
  readonly connection?: string;
  /** Age after which a pending claim is taken over; default 60 s. */
  readonly pendingTimeoutMs?: number;
}

const RECEIPTS_CONTAINER = 'azure-webjobs-hosts';
type ReceiptState = { readonly status: string; readonly etag: string; readonly lastModified: Date };

/** A listed blob's ETag as Event Grid writes it: without quotes (listings differ between services). */
function eventGridEtag(blob: BlobItem): string {
  return (blob.properties.etag ?? '').replace(/"/g, '');
}

/** Puts the BlobCreated event of one listed blob version on the queue (Event Grid writes storage queues base64, one event per message). */
async function sendBlobCreated(landing: ContainerClient, queue: QueueClient, blob: BlobItem): Promise<void> {
  const event = blobCreatedEvent({
    accountName: landing.accountName,
    container: landing.containerName,
    name: blob.name,
    url: landing.getBlobClient(blob.name).url,
    etag: eventGridEtag(blob),
    contentType: blob.properties.contentType,
    contentLength: blob.properties.contentLength ?? 0,
    blobType: blob.properties.blobType ?? 'BlockBlob',
    lastModified: blob.properties.lastModified,
  });
  await queue.sendMessage(Buffer.from(JSON.stringify(event)).toString('base64'));
}

/**
 * Azurite saves what it acknowledged every 5 s, so when it is killed a landing message sent in its
 * last seconds can be gone after its restart, and with it the scanner's receipt, which a running
 * scanner no longer reads once it has seen it done; Event Grid on Azure Storage cannot lose the
 * event. The local stack calls this after restarting Azurite: the event of every landed blob
 * modified since `since` that Azurite still has is sent again. A message that was kept is then
 * delivered twice, which extract absorbs (it is idempotent). Returns the blob names sent again
 * (docs/fault-injection.md).
 */
export async function redeliverRecentLandings(options: {
  readonly connectionString: string;
  readonly container: string;
  readonly queue: string;
  readonly since: Date;
}): Promise<string[]> {
  const landing = BlobServiceClient.fromConnectionString(options.connectionString).getContainerClient(options.container);
  const queue = QueueServiceClient.fromConnectionString(options.connectionString).getQueueClient(options.queue);
  const sent: string[] = [];
  if (!(await landing.exists())) return sent;
  for await (const blob of landing.listBlobsFlat()) {
    if (blob.properties.lastModified < options.since) continue;
    await sendBlobCreated(landing, queue, blob);
    sent.push(blob.name);
  }
  return sent;
}

function statusCode(error: unknown): number | undefined {
  return (error as { statusCode?: number } | null)?.statusCode;
}

export class LandingScanner implements TriggerListener {
  readonly #options: LandingScanOptions & { readonly hostId: string; readonly log: HostLog };
  readonly #abort = new AbortController();
  /** Receipts known to be done; spares a storage call per blob per pass. */
  readonly #done = new Set<string>();
  #loop?: Promise<void>;

  constructor(options: LandingScanOptions & { readonly hostId: string; readonly log: HostLog }) {
    this.#options = options;
  }

  async start(): Promise<void> {
    const connection = resolveConnectionString(this.#options.connection, 'AzureWebJobsStorage');
    const blobs = BlobServiceClient.fromConnectionString(connection);
    const landing = blobs.getContainerClient(this.#options.container);
    const receipts = blobs.getContainerClient(RECEIPTS_CONTAINER);
    const queue = QueueServiceClient.fromConnectionString(connection).getQueueClient(this.#options.queue);
    await receipts.createIfNotExists();
    await queue.createIfNotExists();
    this.#loop = this.#scanLoop(landing, receipts, queue);
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#loop;
  }

  async #scanLoop(landing: ContainerClient, receipts: ContainerClient, queue: QueueClient): Promise<void> {
    const signal = this.#abort.signal;
    let failures = 0;
    while (!signal.aborted) {
      try {
        await this.#scanOnce(landing, receipts, queue, signal);
        failures = 0;
      } catch (error) {
        if (signal.aborted) break;
        failures += 1;
        if (worthLogging(failures)) {
          this.#options.log(
            'warning',
            `[landing scanner] scan of ${landing.containerName} failed (${failures} in a row): ${describeError(error)}`,
          );
        }
      }
      // Back off while storage keeps failing, up to ten intervals.
      await sleep(this.#options.intervalMs * Math.min(2 ** failures, 10), signal);
    }
  }

  async #scanOnce(landing: ContainerClient, receipts: ContainerClient, queue: QueueClient, signal: AbortSignal): Promise<void> {
    // Receipts of one app's scanners for one container, before `<blob>/<etag>`.
    const prefix = `blobreceipts/${this.#options.hostId}/${landing.containerName}/`;
    const known = new Map<string, ReceiptState>();
    for await (const receipt of receipts.listBlobsFlat({ prefix, includeMetadata: true, abortSignal: signal })) {
      known.set(receipt.name, {
        status: receipt.metadata?.status ?? 'done',
        etag: receipt.properties.etag ?? '',
        lastModified: receipt.properties.lastModified,
      });
    }
    try {
      for await (const blob of landing.listBlobsFlat({ abortSignal: signal })) {
        if (signal.aborted) return;
        const etag = eventGridEtag(blob);
        const receiptName = `${prefix}${blob.name}/${etag}`;
        if (this.#done.has(receiptName)) continue;
        const receipt = known.get(receiptName);
        if (receipt?.status === 'done') {
          this.#done.add(receiptName);
          continue;
        }
        const pendingTimeout = this.#options.pendingTimeoutMs ?? 60_000;
        if (receipt !== undefined && Date.now() - receipt.lastModified.getTime() < pendingTimeout) continue;

        const claim = await this.#claim(receipts, receiptName, receipt);
        if (claim === undefined) continue;
        await sendBlobCreated(landing, queue, blob);
        await receipts.getBlockBlobClient(receiptName).setMetadata({ status: 'done' }, { conditions: { ifMatch: claim } });
        this.#done.add(receiptName);
        this.#options.log('information', `[landing scanner] ${landing.containerName}/${blob.name} (${etag}) → queue ${queue.name}`);
      }
    } catch (error) {
      // No landing container yet: nothing has landed.
      if (statusCode(error) === 404) return;
      throw error;
    }
  }

  /** Claims a receipt; returns the claim's ETag, or undefined when another scanner got there first. */
  async #claim(receipts: ContainerClient, receiptName: string, stale: ReceiptState | undefined): Promise<string | undefined> {
    const conditions = stale === undefined ? { ifNoneMatch: '*' } : { ifMatch: stale.etag };
    try {
      const response = await receipts.getBlockBlobClient(receiptName).upload('', 0, {
        metadata: { status: 'pending' },
        conditions,
      });
      return response.etag;
    } catch (error) {
      const code = statusCode(error);
      if (code === 409 || code === 412) return undefined;
      throw error;
    }
  }
}
