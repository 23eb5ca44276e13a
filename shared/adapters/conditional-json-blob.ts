/**
 * Writing a JSON blob only under a condition, the one way the app's own state in blob storage is
 * written where two writers can race (dead letters, pinned chunk plans): `If-None-Match: *` creates
 * it only if absent, `If-Match` replaces only what was read. A lost race is an answer, not an error.
 */
import type { BlockBlobClient } from '@azure/storage-blob';

/** The HTTP status of a storage SDK error, if it has one. */
export function storageStatusOf(error: unknown): number | undefined {
  return (error as { statusCode?: number } | null)?.statusCode;
}

/**
 * Uploads `value` as JSON under `conditions`; false when the condition does not hold: the blob
 * exists (409 to `If-None-Match: *`; 412 from some versions), changed (412) or was deleted (404)
 * since it was read. Any other failure is thrown as the SDK raised it.
 */
export async function uploadJsonIf(
  blob: Pick<BlockBlobClient, 'upload'>,
  value: unknown,
  conditions: { readonly ifNoneMatch?: string; readonly ifMatch?: string },
  metadata?: Record<string, string>,
): Promise<boolean> {
  const text = JSON.stringify(value);
  try {
    await blob.upload(text, Buffer.byteLength(text), { blobHTTPHeaders: { blobContentType: 'application/json' }, metadata, conditions });
    return true;
  } catch (error) {
    const status = storageStatusOf(error);
    if (status === 409 || status === 412 || (status === 404 && conditions.ifMatch)) return false;
    throw error;
  }
}
