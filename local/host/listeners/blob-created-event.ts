/**
 * The Event Grid `Microsoft.Storage.BlobCreated` event (Event Grid schema) that Azure delivers to
 * the landing-events queue when a blob lands. Azurite emits no events, so the landing scanner
 * builds the same document from the blob's properties.
 */
import { randomUUID } from 'node:crypto';

export interface LandedBlob {
  readonly accountName: string;
  readonly container: string;
  readonly name: string;
  readonly url: string;
  readonly etag: string;
  readonly contentType?: string;
  readonly contentLength: number;
  readonly blobType: string;
  readonly lastModified: Date;
}

export interface BlobCreatedEvent {
  readonly id: string;
  readonly topic: string;
  readonly subject: string;
  readonly eventType: 'Microsoft.Storage.BlobCreated';
  readonly eventTime: string;
  readonly data: {
    readonly api: string;
    readonly clientRequestId: string;
    readonly requestId: string;
    readonly eTag: string;
    readonly contentType: string;
    readonly contentLength: number;
    readonly blobType: string;
    readonly url: string;
    readonly sequencer: string;
    readonly storageDiagnostics: { readonly batchId: string };
  };
  readonly dataVersion: string;
  readonly metadataVersion: '1';
}

/** The storage account's resource id, as Event Grid writes `topic`; the local stack has no subscription. */
export function localStorageTopic(accountName: string): string {
  return (
    '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/local/providers/' +
    `Microsoft.Storage/storageAccounts/${accountName}`
  );
}

export function blobCreatedEvent(blob: LandedBlob, now: Date = new Date()): BlobCreatedEvent {
  // Azure's sequencer orders events per blob; the modification time in hex keeps that order here.
  const sequencer = blob.lastModified.getTime().toString(16).padStart(32, '0');
  return {
    id: randomUUID(),
    topic: localStorageTopic(blob.accountName),
    subject: `/blobServices/default/containers/${blob.container}/blobs/${blob.name}`,
    eventType: 'Microsoft.Storage.BlobCreated',
    eventTime: now.toISOString(),
    data: {
      // A scan cannot tell PutBlob from PutBlockList (large uploads); consumers should not care.
      api: 'PutBlob',
      clientRequestId: randomUUID(),
      requestId: randomUUID(),
      eTag: blob.etag,
      contentType: blob.contentType ?? 'application/octet-stream',
      contentLength: blob.contentLength,
      blobType: blob.blobType,
      url: blob.url,
      sequencer,
      storageDiagnostics: { batchId: randomUUID() },
    },
    dataVersion: '',
    metadataVersion: '1',
  };
}
