/**
 * Builds SDK clients from a `ServiceConnection`. The one place that knows about credentials:
 * connection strings locally, a managed or workload identity in Azure. `DefaultAzureCredential` is
 * never used: it probes a cloud metadata address, which must not happen on a developer's machine.
 */
import type { TokenCredential } from '@azure/core-auth';
import { EventHubConsumerClient, EventHubProducerClient } from '@azure/event-hubs';
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import type { ServiceConnection } from '../config/etl-config.js';

let identityModule: Promise<typeof import('@azure/identity')> | undefined;

/** The credential for an identity-based connection (loaded lazily: the local stack never needs it). */
export async function credentialFor(connection: Extract<ServiceConnection, { kind: 'identity' }>): Promise<TokenCredential> {
  identityModule ??= import('@azure/identity');
  const identity = await identityModule;
  return connection.credential === 'workloadidentity'
    ? new identity.WorkloadIdentityCredential({ clientId: connection.clientId })
    : new identity.ManagedIdentityCredential(connection.clientId ? { clientId: connection.clientId } : {});
}

export async function createBlobServiceClient(connection: ServiceConnection): Promise<BlobServiceClient> {
  if (connection.kind === 'connection-string') return BlobServiceClient.fromConnectionString(connection.connectionString);
  const url = connection.endpoint.startsWith('https://') ? connection.endpoint : `https://${connection.endpoint}.blob.core.windows.net`;
  return new BlobServiceClient(url, await credentialFor(connection));
}

export async function createEventHubProducer(connection: ServiceConnection, hub: string): Promise<EventHubProducerClient> {
  if (connection.kind === 'connection-string') return new EventHubProducerClient(connection.connectionString, hub);
  return new EventHubProducerClient(connection.endpoint, hub, await credentialFor(connection));
}

export async function createEventHubConsumer(
  connection: ServiceConnection,
  hub: string,
  consumerGroup: string,
): Promise<EventHubConsumerClient> {
  if (connection.kind === 'connection-string') return new EventHubConsumerClient(consumerGroup, connection.connectionString, hub);
  return new EventHubConsumerClient(consumerGroup, connection.endpoint, hub, await credentialFor(connection));
}

export async function createQueueServiceClient(connection: ServiceConnection): Promise<QueueServiceClient> {
  if (connection.kind === 'connection-string') return QueueServiceClient.fromConnectionString(connection.connectionString);
  const url = connection.endpoint.startsWith('https://') ? connection.endpoint : `https://${connection.endpoint}.queue.core.windows.net`;
  return new QueueServiceClient(url, await credentialFor(connection));
}
