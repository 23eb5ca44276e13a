/**
 * A listener lock like the WebJobs SDK's singleton listener: a blob lease on
 * `azure-webjobs-hosts/locks/<hostId>/<name>`, so that of several host processes of one app only
 * the holder runs a timer (Azure runs a timer function on one instance). The holder renews the
 * lease; the others try to take it every `retryMs`; a closed holder releases it at once, a crashed
 * one loses it when the lease expires.
 */
import { BlobServiceClient, type BlobLeaseClient, type BlockBlobClient, type ContainerClient } from '@azure/storage-blob';
import type { HostLog } from '../invoke-function.js';
import { describeError, sleep } from './trigger-listener.js';

/** Azure's shortest finite lease; Azure's listener locks use 60 s. */
const LEASE_SECONDS = 15;

function statusCode(error: unknown): number | undefined {
  return (error as { statusCode?: number } | null)?.statusCode;
}

export class SingletonLock {
  readonly #container: ContainerClient;
  readonly #blob: BlockBlobClient;
  readonly #lease: BlobLeaseClient;
  readonly #log: HostLog;
  readonly #retryMs: number;
  readonly #abort = new AbortController();
  #held = false;
  #blobExists = false;
  #loop?: Promise<void>;

  constructor(connectionString: string, path: string, log: HostLog, retryMs = 2_000) {
    this.#container = BlobServiceClient.fromConnectionString(connectionString).getContainerClient('azure-webjobs-hosts');
    this.#blob = this.#container.getBlockBlobClient(path);
    this.#lease = this.#blob.getBlobLeaseClient();
    this.#log = log;
    this.#retryMs = retryMs;
  }

  /** True while this process holds the lock. */
  get held(): boolean {
    return this.#held;
  }

  /** Makes a first attempt (so a holder knows at once), then keeps trying or renewing in the background. */
  async start(): Promise<void> {
    await this.#attempt();
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#loop;
    if (this.#held) {
      this.#held = false;
      await this.#lease
        .releaseLease()
        .catch((error: unknown) => this.#log('warning', `[lock ${this.#blob.name}] release failed: ${describeError(error)}`));
    }
  }

  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      // Renew well inside the lease; retry a foreign lock at the retry interval.
      await sleep(this.#held ? (LEASE_SECONDS * 1000) / 3 : this.#retryMs, signal);
      if (!signal.aborted) await this.#attempt();
    }
  }

  async #attempt(): Promise<void> {
    try {
      if (this.#held) {
        await this.#lease.renewLease();
        return;
      }
      await this.#ensureBlob();
      await this.#lease.acquireLease(LEASE_SECONDS);
      this.#held = true;
      this.#log('information', `[lock ${this.#blob.name}] acquired`);
    } catch (error) {
      if (this.#held) this.#log('warning', `[lock ${this.#blob.name}] lost: ${describeError(error)}`);
      else if (statusCode(error) !== 409) this.#log('warning', `[lock ${this.#blob.name}] cannot be taken: ${describeError(error)}`);
      this.#held = false;
    }
  }

  async #ensureBlob(): Promise<void> {
    if (this.#blobExists) return;
    await this.#container.createIfNotExists();
    try {
      await this.#blob.upload('', 0, { conditions: { ifNoneMatch: '*' } });
    } catch (error) {
      // 409: it exists (perhaps leased by another host); 412: created meanwhile by another host.
      if (statusCode(error) !== 409 && statusCode(error) !== 412) throw error;
    }
    this.#blobExists = true;
  }
}
