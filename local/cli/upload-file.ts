/** Uploading CSV content into the landing container, as a user's tool would. */
import { Readable } from 'node:stream';
import type { BlobServiceClient } from '@azure/storage-blob';
import { generateIotCsv, type IotCsvOptions } from '../../load-tests/iot-csv-generator.js';

export async function uploadCsv(
  service: BlobServiceClient,
  blobName: string,
  content: AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>,
  container = 'landing',
): Promise<void> {
  const blob = service.getContainerClient(container).getBlockBlobClient(blobName);
  await blob.uploadStream(Readable.from(content), 4 * 1024 * 1024, 4, { blobHTTPHeaders: { blobContentType: 'text/csv' } });
}

/** Generate an IoT events CSV and upload it; returns what the generator says the file holds. */
export async function uploadGeneratedIotCsv(service: BlobServiceClient, blobName: string, options: IotCsvOptions) {
  const generated = generateIotCsv(options);
  await uploadCsv(service, blobName, generated.chunks);
  return generated.expected();
}
