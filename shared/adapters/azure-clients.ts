/**
 * Builds SDK clients from a `ServiceConnection`. The one place that knows about credentials:
 * connection strings locally, a managed or workload identity in Azure. `DefaultAzureCredential` is
 * never used: it probes a cloud metadata address, which must not happen on a developer's machine.
 */
import type { TokenCredential } from '@azure/core-auth';
import { EventHubConsumerClient, EventHubProducerClient, RetryMode, type RetryOptions } from '@azure/event-hubs';
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import type { ServiceConnection } from '../config/etl-config.js';

let identityModule: Promise<typeof import('@azure/identity')> | undefined;

/**
 * Event Hubs clients retry as the Functions host's own clients do (exponential from 0.8 s), for
 * about 50 s in all. The SDK's default waits 30 s between attempts: after a short outage of the hub
 * a send in flight came back only 30–90 s after the hub did (docs/fault-injection.md).
 */
export const EVENT_HUBS_RETRY_OPTIONS: RetryOptions = {
  mode: RetryMode.Exponential,
  retryDelayInMs: 800,
  maxRetryDelayInMs: 30_000,
  maxRetries: 6,
};

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
  const options = { retryOptions: EVENT_HUBS_RETRY_OPTIONS };
  if (connection.kind === 'connection-string') return new EventHubProducerClient(connection.connectionString, hub, options);
  return new EventHubProducerClient(connection.endpoint, hub, await credentialFor(connection), options);
}

export async function createEventHubConsumer(
  connection: ServiceConnection,
  hub: string,
  consumerGroup: string,
): Promise<EventHubConsumerClient> {
  const options = { retryOptions: EVENT_HUBS_RETRY_OPTIONS };
  if (connection.kind === 'connection-string') return new EventHubConsumerClient(consumerGroup, connection.connectionString, hub, options);
  return new EventHubConsumerClient(consumerGroup, connection.endpoint, hub, await credentialFor(connection), options);
}

export async function createQueueServiceClient(connection: ServiceConnection): Promise<QueueServiceClient> {
  if (connection.kind === 'connection-string') return QueueServiceClient.fromConnectionString(connection.connectionString);
  const url = connection.endpoint.startsWith('https://') ? connection.endpoint : `https://${connection.endpoint}.queue.core.windows.net`;
  return new QueueServiceClient(url, await credentialFor(connection));
}
