/**
 * What a load test needs to drive a pipeline that is already running, such as a deployment on
 * Azure: its storage account (to upload to `landing`), its status API (with the function key), and
 * an estimate of how far the pipeline's clock is from this machine's, because the stage times come
 * from the pipeline and the upload times from here.
 */
import { BlobServiceClient } from '@azure/storage-blob';
import { MAX_LIST_LIMIT, type FileStatus } from '../shared/status/status-service.js';

/** A pipeline that is already running (on Azure, or a local stack started elsewhere). */
export interface RemoteLoadTarget {
  /**
   * The storage account whose landing container the pipeline watches: a connection string (a SAS
   * one where shared keys are off, as in this project's deployment), or the blob endpoint URL
   * (`https://<account>.blob.core.windows.net`), reached with the Azure CLI's signed-in identity.
   */
  readonly storage: string;
  /** Base URL of the status API, ending in `/api`. */
  readonly statusUrl: string;
  /** Sent as `x-functions-key` (the status functions take a function key on Azure). */
  readonly functionKey?: string;
  /** Default 'landing'. */
  readonly landingContainer?: string;
}

/** No request of the collector may hang a run: each gets this long. */
export const REQUEST_TIMEOUT_MS = 30_000;

/** Options that shape only the local stack the load test starts. */
const STACK_ONLY_OPTIONS = [
  'placement',
  'instances',
  'partitions',
  'chunk-rows',
  'autoscale',
  'max-instances',
  'scale-poll-ms',
  'hold-ms',
] as const;

/** Azure's rule for container names (as `shared/config/etl-config.ts` checks them). */
const CONTAINER_NAME = /^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/;

/**
 * The running pipeline named by --status-url, with its storage from --storage or, so that a key or
 * SAS stays out of shell history and npm's echo of the command, ETL_LOAD_TEST_STORAGE; undefined
 * for the local stack. Options that shape the local stack would silently do nothing there, so they
 * are refused.
 */
export function remoteFromArgs(
  values: Readonly<Record<string, string | boolean | undefined>>,
  env: NodeJS.ProcessEnv = process.env,
): RemoteLoadTarget | undefined {
  const given = (name: string) => values[name] !== undefined;
  const statusUrl = values['status-url'] as string | undefined;
  if (statusUrl === undefined) {
    const misplaced = ['storage', 'landing-container'].filter(given);
    if (misplaced.length > 0)
      throw new Error(`${misplaced.map((name) => `--${name}`).join(', ')}: for a running pipeline, named by --status-url`);
    return undefined;
  }
  const storage = (values.storage as string | undefined) || env.ETL_LOAD_TEST_STORAGE || undefined;
  if (storage === undefined)
    throw new Error(
      'a running pipeline needs its storage account: --storage or ETL_LOAD_TEST_STORAGE (a connection string, or the blob endpoint URL)',
    );
  const stackOnly = STACK_ONLY_OPTIONS.filter(given);
  if (stackOnly.length > 0)
    throw new Error(`these options shape only the local stack, not a running pipeline: ${stackOnly.map((name) => `--${name}`).join(', ')}`);
  let url: URL;
  try {
    url = new URL(statusUrl);
  } catch {
    throw new Error(`--status-url must be a URL such as https://<app>.azurewebsites.net/api, got '${statusUrl}'`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`--status-url must be http(s), got '${statusUrl}'`);
  // A `?code=` key would end up in the report: the key goes in ETL_FUNCTION_KEY.
  if (url.search !== '' || url.hash !== '')
    throw new Error('--status-url takes no query or fragment: give the function key in ETL_FUNCTION_KEY');
  const landingContainer = values['landing-container'] as string | undefined;
  if (landingContainer !== undefined && !CONTAINER_NAME.test(landingContainer))
    throw new Error(`--landing-container '${landingContainer}' is not a valid container name`);
  return { storage, statusUrl, functionKey: env.ETL_FUNCTION_KEY || undefined, landingContainer };
}

/** A blob client for `storage`: a connection string, or an endpoint URL with the Azure CLI's identity. */
export async function remoteBlobService(storage: string): Promise<BlobServiceClient> {
  if (/^https?:\/\//i.test(storage)) {
    // Not DefaultAzureCredential: it probes a cloud metadata address first. The CLI's identity is
    // the user's own (`az login`); it needs "Storage Blob Data Contributor" on the account.
    const { AzureCliCredential } = await import('@azure/identity');
    return new BlobServiceClient(storage, new AzureCliCredential());
  }
  if (!storage.includes('=')) throw new Error('the storage must be a connection string (Name=value;…) or a blob endpoint URL');
  return BlobServiceClient.fromConnectionString(storage);
}

/**
 * How far the pipeline's clock is ahead of this machine's, from the `Date` header of its
 * responses. A header says the second the server answered in, somewhere between sending the
 * request and receiving the answer; each response so bounds the offset, and the bounds of many
 * responses at different fractions of a second narrow it to well under a second.
 */
export class ClockOffset {
  private low = -Infinity;
  private high = Infinity;

  observe(dateHeader: string | null, sentAtMs: number, receivedAtMs: number): void {
    const stamped = dateHeader === null ? NaN : Date.parse(dateHeader);
    if (!Number.isFinite(stamped)) return;
    const low = stamped - receivedAtMs;
    const high = stamped + 1000 - sentAtMs;
    if (Math.max(this.low, low) <= Math.min(this.high, high)) {
      this.low = Math.max(this.low, low);
      this.high = Math.min(this.high, high);
    } else {
      // Bounds that no longer meet: a clock was set meanwhile. Start again from this response.
      this.low = low;
      this.high = high;
    }
  }

  /** Milliseconds the pipeline's clock is ahead (negative: behind), and how sure: ± `withinMs`. */
  estimate(): { ms: number; withinMs: number } | undefined {
    if (!Number.isFinite(this.low) || !Number.isFinite(this.high)) return undefined;
    return { ms: (this.low + this.high) / 2, withinMs: (this.high - this.low) / 2 };
  }
}

/** The status API's `/files` and `/deadletters`, with the function key when there is one. */
export function statusApi(baseUrl: string, functionKey?: string) {
  const base = baseUrl.replace(/\/+$/, '');
  const clock = new ClockOffset();
  const getJson = async <T>(path: string): Promise<T> => {
    const sentAt = Date.now();
    const response = await fetch(`${base}${path}`, {
      headers: functionKey ? { 'x-functions-key': functionKey } : {},
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    clock.observe(response.headers.get('date'), sentAt, Date.now());
    if (!response.ok) {
      const hint =
        response.status === 401
          ? ' (is ETL_FUNCTION_KEY set?)'
          : response.status === 404 && !base.endsWith('/api')
            ? ' (the status URL ends in /api)'
            : '';
      throw new Error(`GET ${base}${path}: HTTP ${response.status}${hint}`);
    }
    return (await response.json()) as T;
  };
  return {
    clock,
    /**
     * The status of the files named, by blob name; files of other runs are left out. The API lists
     * the newest first, at most MAX_LIST_LIMIT, so a run has no more files than that (runLoadTest checks).
     */
    async files(blobNames: ReadonlySet<string>): Promise<Map<string, FileStatus>> {
      const files = await getJson<FileStatus[]>(`/files?dataset=iot_events&limit=${MAX_LIST_LIMIT}`);
      return new Map(files.filter((file) => blobNames.has(file.blobName)).map((file) => [file.blobName, file]));
    },
    /** Dead letters in the store, every host's, replayed ones too (so the count only grows); counted, not listed. */
    async deadLetters(): Promise<number> {
      const summary = await getJson<{ deadLetters: number; replayedDeadLetters: number }>('/summary');
      return summary.deadLetters + summary.replayedDeadLetters;
    },
  };
}

export type StatusApi = ReturnType<typeof statusApi>;
