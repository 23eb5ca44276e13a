/**
 * `RejectedRowSink` writing one NDJSON blob per landed file: `<rejected>/<dataset>/<fileId>.ndjson`,
 * a line `{"rowNumber","reason","raw","blobName"}` per row. The upload streams, so a file full of bad
 * rows costs no more memory than a good one; a retried extract replaces the blob whole.
 */
import { PassThrough } from 'node:stream';
import { once } from 'node:events';
import type { ContainerClient } from '@azure/storage-blob';
import { EtlError } from '../errors/etl-error.js';
import type { RejectedRow, RejectedRowSink, RejectedRowWriter } from '../ports/rejected-row-sink.js';

export type ContainerLike = Pick<ContainerClient, 'getBlockBlobClient'>;

export function rejectedBlobName(dataset: string, fileId: string): string {
  return `${dataset}/${fileId}.ndjson`;
}

export class BlobRejectedRowSink implements RejectedRowSink {
  constructor(private readonly container: ContainerLike) {}

  has(file: { dataset: string; fileId: string }): Promise<boolean> {
    return this.container.getBlockBlobClient(rejectedBlobName(file.dataset, file.fileId)).exists();
  }

  open(file: { dataset: string; fileId: string; blobName: string }): RejectedRowWriter {
    const blob = this.container.getBlockBlobClient(rejectedBlobName(file.dataset, file.fileId));
    let stream: PassThrough | undefined;
    let upload: Promise<unknown> | undefined;
    let count = 0;
    const start = (): PassThrough => {
      const pass = new PassThrough();
      upload = blob.uploadStream(pass, 1024 * 1024, 2, { blobHTTPHeaders: { blobContentType: 'application/x-ndjson' } });
      // Surface an upload failure on the next write instead of leaving it unhandled.
      upload.catch((error: unknown) => pass.destroy(error as Error));
      return pass;
    };
    return {
      async write(row: RejectedRow): Promise<void> {
        stream ??= start();
        count += 1;
        const line = JSON.stringify({ rowNumber: row.rowNumber, reason: row.reason, raw: row.raw, blobName: file.blobName }) + '\n';
        if (!stream.write(line)) await once(stream, 'drain');
      },
      async close(): Promise<number> {
        if (!stream) return 0;
        stream.end();
        try {
          await upload;
        } catch (error) {
          throw new EtlError('STORAGE_FAILED', `writing rejected rows of ${file.blobName} failed: ${(error as Error).message}`, {
            cause: error,
          });
        }
        return count;
      },
    };
  }
}
