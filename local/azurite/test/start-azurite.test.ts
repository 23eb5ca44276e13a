import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import { TableClient } from '@azure/data-tables';
import { afterAll, describe, expect, it } from 'vitest';
import { startAzurite } from '../start-azurite.js';

describe('startAzurite', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('serves blob, queue and table on free loopback ports through the official SDKs', async () => {
    const azurite = await startAzurite();
    cleanups.push(() => azurite.close());
    expect(new Set([azurite.blobPort, azurite.queuePort, azurite.tablePort]).size).toBe(3);
    expect(azurite.connectionString).toContain(`BlobEndpoint=http://127.0.0.1:${azurite.blobPort}/devstoreaccount1;`);

    const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('probe');
    await container.create();
    await container.getBlockBlobClient('a.txt').upload('hello', 5);
    expect((await container.getBlobClient('a.txt').downloadToBuffer()).toString()).toBe('hello');

    const queue = QueueServiceClient.fromConnectionString(azurite.connectionString).getQueueClient('probe');
    await queue.create();
    await queue.sendMessage('m1');
    expect((await queue.receiveMessages()).receivedMessageItems[0]?.messageText).toBe('m1');

    const table = TableClient.fromConnectionString(azurite.connectionString, 'probe', { allowInsecureConnection: true });
    await table.createTable();
    await table.createEntity({ partitionKey: 'p', rowKey: 'r', value: 7 });
    expect((await table.getEntity<{ value: number }>('p', 'r')).value).toBe(7);

    await azurite.close();
    // Closed means the port no longer answers.
    await expect(fetch(`http://127.0.0.1:${azurite.blobPort}/`)).rejects.toThrow();
  });

  it('keeps data across a restart when given a location', async () => {
    const location = await mkdtemp(join(tmpdir(), 'azurite-test-'));
    cleanups.push(() => rm(location, { recursive: true, force: true }));
    const first = await startAzurite({ location });
    const blobs = BlobServiceClient.fromConnectionString(first.connectionString);
    await blobs.getContainerClient('kept').create();
    await first.close();

    const second = await startAzurite({ location });
    cleanups.push(() => second.close());
    const names: string[] = [];
    for await (const container of BlobServiceClient.fromConnectionString(second.connectionString).listContainers()) {
      names.push(container.name);
    }
    expect(names).toContain('kept');
  });
});
