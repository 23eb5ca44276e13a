/**
 * The extract sweep: finds files that extract began and nobody is extracting any more, and puts
 * their landing event back on `landing-events`.
 *
 * Extract touches a file's manifest every 30 s while it reads it, and a crashed extract's message
 * comes back on its own once its visibility runs out. A file left `extracting` with no touch for
 * `stalledAfterMs` (longer than both) has lost its landing event: locally, Azurite killed inside its
 * 5 s persistence window forgets a message it had acknowledged. Extract is idempotent and cuts the
 * file by the plan its first attempt pinned, so a second delivery counts no row twice
 * (docs/faults.md#stalled-extracts).
 */
import type { BlobSource } from '../ports/blob-source.js';
import type { ManifestStore } from '../ports/etl-store.js';
import type { FileManifest } from '../ports/file-manifest.js';
import type { Logger } from '../runtime/logger.js';
import type { PipelineMetrics } from '../telemetry/pipeline-metrics.js';
import { fileIdFor, landingEventFor } from './extract-handler.js';

export interface ExtractSweepDependencies {
  readonly manifest: ManifestStore;
  readonly blobs: BlobSource;
  /** The landing container, and a send to `landing-events` (the text as Event Grid writes it: base64 JSON). */
  readonly landing: { readonly container: string; send(messageText: string): Promise<void> };
  readonly clock: () => Date;
  readonly log: Logger;
  readonly metrics?: PipelineMetrics;
}

export interface ExtractSweepOptions {
  /** A file `extracting` with no touch for this long is put back. */
  readonly stalledAfterMs: number;
  /** Most stalled files handled in one sweep (newest first); those are touched, so the next sweep gets the rest. */
  readonly limit: number;
}

export interface ExtractSweepOutcome {
  /** Files whose landing event was put back. */
  readonly redelivered: readonly string[];
  /** Files failed because the blob they were read from is gone or was replaced. */
  readonly failed: readonly string[];
}

export async function sweepStalledExtracts(deps: ExtractSweepDependencies, options: ExtractSweepOptions): Promise<ExtractSweepOutcome> {
  const now = deps.clock();
  const staleBefore = new Date(now.getTime() - options.stalledAfterMs);
  // Stale ones only, filtered by the store: `limit` fresh files listed first would hide them all.
  const stalled = await deps.manifest.listFiles({ state: 'extracting', updatedBefore: staleBefore.toISOString(), limit: options.limit });
  const redelivered: string[] = [];
  const failed: string[] = [];
  for (const file of stalled) {
    const outcome = await sweepFile(deps, file, now, staleBefore);
    if (outcome === 'redelivered') redelivered.push(file.fileId);
    if (outcome === 'failed') failed.push(file.fileId);
  }
  return { redelivered, failed };
}

async function sweepFile(
  deps: ExtractSweepDependencies,
  file: FileManifest,
  now: Date,
  staleBefore: Date,
): Promise<'redelivered' | 'failed' | 'left'> {
  const { container } = deps.landing;
  const info = await deps.blobs.info(container, file.blobName);
  // The blob now holds another content version (its own id, extracted on its own event), or none.
  if (info === undefined || fileIdFor(container, file.blobName, info) !== file.fileId) {
    const what = info === undefined ? 'is gone' : 'was replaced by another upload';
    const reason = `extract stopped on this file and its blob ${container}/${file.blobName} ${what}; upload it again to load it`;
    await deps.manifest.failFile(file.fileId, reason, now.toISOString());
    deps.log.warn(`extract sweep: ${file.blobName} (file ${file.fileId}): ${reason}`);
    return 'failed';
  }
  // The claim: of two sweeps, the one whose touch lands puts the event back.
  const claimed = await deps.manifest.touchExtracting(file.fileId, now.toISOString(), { staleBefore: staleBefore.toISOString() });
  if (!claimed) return 'left';
  const event = landingEventFor({ container, blobName: file.blobName, etag: info.etag }, now);
  await deps.landing.send(Buffer.from(JSON.stringify(event)).toString('base64'));
  const silentSeconds = Math.round((now.getTime() - Date.parse(file.updatedAt)) / 1000);
  deps.log.warn(
    `extract sweep: ${file.blobName} (file ${file.fileId}) has been extracting with no sign of extract for ${silentSeconds} s; ` +
      'its landing event was lost, and is put back',
  );
  deps.metrics?.increment('etl_files_redelivered_total', { dataset: file.dataset });
  return 'redelivered';
}
