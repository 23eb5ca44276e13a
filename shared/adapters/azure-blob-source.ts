/** `BlobSource` on `@azure/storage-blob`: properties and a streamed download pinned to one etag. */
import type { BlobServiceClient } from '@azure/storage-blob';
import { EtlError } from '../errors/etl-error.js';
import type { BlobInfo, BlobSource } from '../ports/blob-source.js';
import { storageStatusOf } from './conditional-json-blob.js';

export type BlobServiceLike = Pick<BlobServiceClient, 'getContainerClient'>;

export class AzureBlobSource implements BlobSource {
  constructor(private readonly service: BlobServiceLike) {}

  async info(container: string, name: string): Promise<BlobInfo | undefined> {
    try {
      const properties = await this.service.getContainerClient(container).getBlobClient(name).getProperties();
      return {
        etag: properties.etag ?? '',
        contentMd5: properties.contentMD5 ? Buffer.from(properties.contentMD5).toString('base64') : undefined,
        contentLength: properties.contentLength ?? 0,
      };
    } catch (error) {
      if (storageStatusOf(error) === 404) return undefined;
      throw new EtlError('STORAGE_FAILED', `reading properties of ${container}/${name} failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  async read(container: string, name: string, etag: string): Promise<AsyncIterable<Uint8Array>> {
    try {
      const response = await this.service
        .getContainerClient(container)
        .getBlobClient(name)
        // maxRetryRequests lets the SDK resume a broken download where it stopped.
        .download(0, undefined, { conditions: { ifMatch: etag }, maxRetryRequests: 5 });
      if (!response.readableStreamBody) throw new Error('the download has no body');
      return response.readableStreamBody as AsyncIterable<Uint8Array>;
    } catch (error) {
      throw new EtlError('STORAGE_FAILED', `downloading ${container}/${name} failed: ${(error as Error).message}`, { cause: error });
    }
  }
}
