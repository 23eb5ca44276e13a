/** Uploading CSV content into the landing container, as a user's tool would. */
import { Readable } from 'node:stream';
import type { BlobServiceClient } from '@azure/storage-blob';
import { generateIotCsv, type IotCsvOptions } from '../sample-data/iot-csv-generator.js';
import { APP_SETTINGS } from '../../shared/config/app-settings.js';

/** The landing container when the settings leave it at its default; a stack's `config.containers.landing` otherwise. */
const DEFAULT_LANDING_CONTAINER = APP_SETTINGS.ETL_LANDING_CONTAINER.default;

export async function uploadCsv(
  service: BlobServiceClient,
  blobName: string,
  content: AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>,
  container: string = DEFAULT_LANDING_CONTAINER,
): Promise<void> {
  const blob = service.getContainerClient(container).getBlockBlobClient(blobName);
  await blob.uploadStream(Readable.from(content), 4 * 1024 * 1024, 4, { blobHTTPHeaders: { blobContentType: 'text/csv' } });
}

/** Generate an IoT events CSV and upload it; returns what the generator says the file holds. */
export async function uploadGeneratedIotCsv(
  service: BlobServiceClient,
  blobName: string,
  options: IotCsvOptions,
  container: string = DEFAULT_LANDING_CONTAINER,
) {
  const generated = generateIotCsv(options);
  await uploadCsv(service, blobName, generated.chunks, container);
  return generated.expected();
}
