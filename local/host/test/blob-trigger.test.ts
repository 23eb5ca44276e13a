import { fileURLToPath } from 'node:url';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type RunningAzurite } from '../../azurite/start-azurite.js';
import { startLocalFunctionsHost, type LocalFunctionsHost } from '../local-functions-host.js';
import { callsOf } from './fixtures/recorder.js';
import { waitFor } from './wait-for.js';

const forBlob = (name: string) => callsOf('blobEcho').filter((call) => call.context.triggerMetadata?.blobTrigger === `blob-in/${name}`);

describe('blob trigger (container scan with receipts)', () => {
  let azurite: RunningAzurite;
  const hosts: LocalFunctionsHost[] = [];
  let container: ContainerClient;

  beforeAll(async () => {
    azurite = await startAzurite();
    process.env.AzureWebJobsStorage = azurite.connectionString;
    container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('blob-in');
    await container.createIfNotExists();
    // Two processes of one app: each blob version must still trigger once.
    for (const instanceId of ['blob-a', 'blob-b']) {
      hosts.push(
        await startLocalFunctionsHost({
          entryModules: [fileURLToPath(new URL('./fixtures/blob-functions.ts', import.meta.url))],
          hostId: 'blob-test',
          instanceId,
          hostJson: { extensions: { blobs: { poisonBlobThreshold: 3 } } },
          blobs: { scanIntervalMs: 50 },
          log: () => {},
        }),
      );
    }
  });

  afterAll(async () => {
    for (const host of hosts) await host.close();
    await azurite?.close();
  });

  it('hands each matching blob version to the handler once, as a Buffer with the path tokens', async () => {
    await container.getBlockBlobClient('reports/day1.txt').upload('hello', 5, { metadata: { origin: 'test' } });
    await container.getBlockBlobClient('top-level.txt').upload('no folder', 9);
    const [call] = await waitFor('the blob call', () => forBlob('reports/day1.txt').length > 0 && forBlob('reports/day1.txt'));
    expect(call?.input).toBe('hello');
    expect(call?.context.triggerMetadata).toMatchObject({
      blobTrigger: 'blob-in/reports/day1.txt',
      folder: 'reports',
      name: 'day1.txt',
      uri: container.getBlobClient('reports/day1.txt').url,
      metadata: { origin: 'test' },
      properties: { length: 5 },
    });
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(forBlob('reports/day1.txt')).toHaveLength(1);
    expect(forBlob('top-level.txt')).toHaveLength(0);

    await container.getBlockBlobClient('reports/day1.txt').upload('hello again', 11);
    await waitFor('the new version', () => forBlob('reports/day1.txt').length === 2);
    expect(forBlob('reports/day1.txt')[1]?.input).toBe('hello again');
  });

  it('reports a blob that keeps failing on webjobs-blobtrigger-poison after poisonBlobThreshold tries', async () => {
    await container.getBlockBlobClient('bad/broken.txt').upload('fail', 4);
    const poison = QueueServiceClient.fromConnectionString(azurite.connectionString).getQueueClient('webjobs-blobtrigger-poison');
    const message = await waitFor('the poison message', async () => (await poison.receiveMessages()).receivedMessageItems[0]);
    expect(JSON.parse(Buffer.from(message.messageText, 'base64').toString('utf8'))).toMatchObject({
      FunctionId: 'Host.Functions.blobEcho',
      ContainerName: 'blob-in',
      BlobName: 'bad/broken.txt',
    });
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(forBlob('bad/broken.txt')).toHaveLength(3);
  });
});
