/** Reading landed files. Adapter: `AzureBlobSource` (Azure Storage or Azurite). */

export interface BlobInfo {
  readonly etag: string;
  /** Base64 MD5 of the content when the service knows it (single-shot uploads). */
  readonly contentMd5?: string;
  readonly contentLength: number;
}

export interface BlobSource {
  /** Undefined when the blob does not exist (deleted since the event was raised). */
  info(container: string, name: string): Promise<BlobInfo | undefined>;
  /** Stream the content of exactly that version (If-Match the etag): memory does not grow with size. */
  read(container: string, name: string, etag: string): Promise<AsyncIterable<Uint8Array>>;
}
