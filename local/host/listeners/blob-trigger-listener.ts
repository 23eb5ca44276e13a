/**
 * `app.storageBlob` locally, as the blob trigger's container-scan mode: every scan interval it
 * lists the blobs under the path's prefix, and each (blob, ETag) matching the path without a
 * receipt is handed to the handler as a Buffer, at most `maxDegreeOfParallelism` at once. Receipts
 * live where the extension keeps them (`azure-webjobs-hosts/blobreceipts/<hostId>/<function>/
 * <etag>/<container>/<blob>`), so several host processes trigger each blob version once; delete a
 * receipt to run a blob again. A blob that fails `poisonBlobThreshold` times is reported on
 * `webjobs-blobtrigger-poison` and left alone.
 *
 * The app itself uses a queue trigger fed by Event Grid (see the landing scanner); this listener
 * is for apps that register blob triggers. `source: 'EventGrid'` is served by scanning as well.
 */
import { BlobServiceClient, type BlobItem, type ContainerClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import { resolveBindingExpression, resolveConnectionString } from '../binding-settings.js';
import { toRpcTriggerMetadata, type BindingValue } from '../rpc-typed-data.js';
import { parseBlobPathPattern, type BlobPathPattern } from './blob-path-pattern.js';
import { describeError, sleep, worthLogging, type ListenerContext, type TriggerListener } from './trigger-listener.js';

const RECEIPTS_CONTAINER = 'azure-webjobs-hosts';
const POISON_QUEUE = 'webjobs-blobtrigger-poison';
/** A claim older than this was left by a process that died mid-call; another may take it over. */
const PENDING_TIMEOUT_MS = 5 * 60_000;

interface Receipt {
  readonly status: string;
  readonly attempts: number;
  readonly etag: string;
  readonly lastModified: Date;
}

function statusCode(error: unknown): number | undefined {
  return (error as { statusCode?: number } | null)?.statusCode;
}

export class BlobTriggerListener implements TriggerListener {
  readonly #context: ListenerContext;
  readonly #scanIntervalMs: number;
  readonly #abort = new AbortController();
  readonly #inFlight = new Set<Promise<void>>();
  /** Receipts known to be settled (done or poisoned); spares storage calls on every scan. */
  readonly #settled = new Set<string>();
  #pattern?: BlobPathPattern;
  #connection = '';
  #loop?: Promise<void>;

  constructor(context: ListenerContext, options: { scanIntervalMs?: number } = {}) {
    this.#context = context;
    this.#scanIntervalMs = options.scanIntervalMs ?? 1_000;
  }

  async start(): Promise<void> {
    const { trigger } = this.#context;
    this.#pattern = parseBlobPathPattern(resolveBindingExpression(String(trigger.path ?? '')));
    this.#connection = resolveConnectionString(trigger.connection as string | undefined, 'AzureWebJobsStorage');
    const blobs = BlobServiceClient.fromConnectionString(this.#connection);
    const receipts = blobs.getContainerClient(RECEIPTS_CONTAINER);
    await receipts.createIfNotExists();
    this.#loop = this.#scanLoop(blobs.getContainerClient(this.#pattern.container), receipts, this.#pattern);
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#loop;
    await Promise.allSettled([...this.#inFlight]);
  }

  async #scanLoop(container: ContainerClient, receipts: ContainerClient, pattern: BlobPathPattern): Promise<void> {
    const signal = this.#abort.signal;
    let failures = 0;
    while (!signal.aborted) {
      try {
        await this.#scanOnce(container, receipts, pattern, signal);
        failures = 0;
      } catch (error) {
        if (signal.aborted) break;
        failures += 1;
        if (worthLogging(failures)) {
          this.#context.log(
            'warning',
            `[${this.#context.fn.metadata.name}] scan of ${container.containerName} failed (${failures} in a row): ${describeError(error)}`,
          );
        }
      }
      await sleep(this.#scanIntervalMs * Math.min(2 ** failures, 10), signal);
    }
  }

  #receiptName(container: string, blobName: string, etag: string): string {
    return `blobreceipts/${this.#context.hostId}/${this.#context.fn.metadata.name}/${etag}/${container}/${blobName}`;
  }

  async #scanOnce(container: ContainerClient, receipts: ContainerClient, pattern: BlobPathPattern, signal: AbortSignal): Promise<void> {
    const { config } = this.#context;
    try {
      for await (const blob of container.listBlobsFlat({ prefix: pattern.prefix, includeMetadata: true, abortSignal: signal })) {
        if (signal.aborted) return;
        const tokens = pattern.match(blob.name);
        if (tokens === undefined) continue;
        const etag = (blob.properties.etag ?? '').replace(/"/g, '');
        const receiptName = this.#receiptName(container.containerName, blob.name, etag);
        if (this.#settled.has(receiptName)) continue;
        while (this.#inFlight.size >= config.extensions.blobs.maxDegreeOfParallelism) await Promise.race(this.#inFlight);
        const work = this.#process(container, receipts.getBlockBlobClient(receiptName), blob, etag, tokens, receiptName).catch(
          (error: unknown) =>
            this.#context.log('error', `[${this.#context.fn.metadata.name}] blob ${blob.name} was not settled: ${describeError(error)}`),
        );
        this.#inFlight.add(work);
        void work.finally(() => this.#inFlight.delete(work));
      }
    } catch (error) {
      // No container yet: nothing to trigger on.
      if (statusCode(error) === 404) return;
      throw error;
    }
    // One scan's blobs are settled before the next scan looks again.
    await Promise.allSettled([...this.#inFlight]);
  }

  async #readReceipt(receipt: ReturnType<ContainerClient['getBlockBlobClient']>): Promise<Receipt | undefined> {
    try {
      const properties = await receipt.getProperties();
      return {
        status: properties.metadata?.status ?? 'done',
        attempts: Number(properties.metadata?.attempts ?? 0),
        etag: properties.etag ?? '',
        lastModified: properties.lastModified ?? new Date(0),
      };
    } catch (error) {
      if (statusCode(error) === 404) return undefined;
      throw error;
    }
  }

  async #process(
    container: ContainerClient,
    receipt: ReturnType<ContainerClient['getBlockBlobClient']>,
    blob: BlobItem,
    etag: string,
    tokens: Record<string, string>,
    receiptName: string,
  ): Promise<void> {
    const { fn, log, config } = this.#context;
    const threshold = config.extensions.blobs.poisonBlobThreshold;
    const known = await this.#readReceipt(receipt);
    if (known?.status === 'done' || known?.status === 'poisoned') {
      this.#settled.add(receiptName);
      return;
    }
    if (known?.status === 'pending' && Date.now() - known.lastModified.getTime() < PENDING_TIMEOUT_MS) return;

    const attempts = (known?.attempts ?? 0) + 1;
    const claim = await this.#claim(receipt, known, attempts);
    if (claim === undefined) return;

    let failed = false;
    try {
      await this.#invoke(container, blob, etag, tokens);
    } catch (error) {
      failed = true;
      log(
        'warning',
        `[${fn.metadata.name}] blob ${container.containerName}/${blob.name} failed (attempt ${attempts}/${threshold}): ${describeError(error)}`,
      );
    }

    let status = 'done';
    if (failed && attempts >= threshold) {
      status = 'poisoned';
      await this.#reportPoisoned(container, blob, etag, attempts);
    } else if (failed) {
      status = 'failed';
    }
    await receipt.setMetadata({ status, attempts: String(attempts) }, { conditions: { ifMatch: claim } });
    if (status !== 'failed') this.#settled.add(receiptName);
  }

  /**
   * Claims the blob for this attempt: create-if-not-exists for a new blob version, compare-and-swap
   * for a retry or a takeover. The claim's etag, or `undefined` when another instance got there first.
   */
  async #claim(
    receipt: ReturnType<ContainerClient['getBlockBlobClient']>,
    known: Receipt | undefined,
    attempts: number,
  ): Promise<string | undefined> {
    try {
      const response = await receipt.upload('', 0, {
        metadata: { status: 'pending', attempts: String(attempts) },
        conditions: known === undefined ? { ifNoneMatch: '*' } : { ifMatch: known.etag },
      });
      return response.etag;
    } catch (error) {
      if (statusCode(error) === 409 || statusCode(error) === 412) return undefined;
      throw error;
    }
  }

  /** Downloads the blob and invokes the function with the binding data Azure gives a blob trigger. */
  async #invoke(container: ContainerClient, blob: BlobItem, etag: string, tokens: Record<string, string>): Promise<void> {
    const blobClient = container.getBlobClient(blob.name);
    const content = await blobClient.downloadToBuffer();
    const properties: Record<string, unknown> = {
      Length: blob.properties.contentLength,
      ContentType: blob.properties.contentType,
      ETag: etag,
      LastModified: blob.properties.lastModified.toISOString(),
      BlobType: blob.properties.blobType,
    };
    const bindingData: Record<string, BindingValue> = {
      BlobTrigger: `${container.containerName}/${blob.name}`,
      Uri: blobClient.url,
      Properties: properties,
      Metadata: blob.metadata ?? {},
    };
    for (const [token, value] of Object.entries(tokens)) bindingData[token.charAt(0).toUpperCase() + token.slice(1)] = value;
    await this.#context.invoke(
      { inputData: [{ name: this.#context.triggerName, data: { bytes: content } }], triggerMetadata: toRpcTriggerMetadata(bindingData) },
      1,
    );
  }

  /** A blob that failed `poisonBlobThreshold` times is reported on the poison queue, as Azure does. */
  async #reportPoisoned(container: ContainerClient, blob: BlobItem, etag: string, attempts: number): Promise<void> {
    const { fn, log } = this.#context;
    const poison = QueueServiceClient.fromConnectionString(this.#connection).getQueueClient(POISON_QUEUE);
    await poison.createIfNotExists();
    const message = {
      FunctionId: `Host.Functions.${fn.metadata.name}`,
      BlobType: blob.properties.blobType ?? 'BlockBlob',
      ContainerName: container.containerName,
      BlobName: blob.name,
      ETag: etag,
    };
    await poison.sendMessage(Buffer.from(JSON.stringify(message)).toString('base64'));
    log(
      'error',
      `[${fn.metadata.name}] blob ${container.containerName}/${blob.name} failed ${attempts} times: reported on ${POISON_QUEUE}.`,
    );
  }
}
