import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { QueueServiceClient, type QueueClient } from '@azure/storage-queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type RunningAzurite } from '../../azurite/start-azurite.js';
import { startLocalFunctionsHost, type LocalFunctionsHost } from '../local-functions-host.js';
import { redeliverRecentLandings } from '../listeners/landing-scanner.js';
import { waitFor } from './wait-for.js';

interface BlobCreated {
  id: string;
  subject: string;
  eventType: string;
  topic: string;
  metadataVersion: string;
  data: { eTag: string; url: string; contentLength: number; blobType: string; api: string; sequencer: string; contentType: string };
}

describe('landing scanner (the local Event Grid)', () => {
  let azurite: RunningAzurite;
  const hosts: LocalFunctionsHost[] = [];
  let landing: ContainerClient;
  let events: QueueClient;
  const received: BlobCreated[] = [];

  async function drain(): Promise<BlobCreated[]> {
    for (;;) {
      const batch = (await events.receiveMessages({ numberOfMessages: 32 })).receivedMessageItems;
      if (batch.length === 0) return received;
      for (const message of batch) {
        received.push(JSON.parse(Buffer.from(message.messageText, 'base64').toString('utf8')) as BlobCreated);
        await events.deleteMessage(message.messageId, message.popReceipt);
      }
    }
  }

  beforeAll(async () => {
    azurite = await startAzurite();
    process.env.AzureWebJobsStorage = azurite.connectionString;
    landing = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('landing');
    events = QueueServiceClient.fromConnectionString(azurite.connectionString).getQueueClient('landing-events');
    // Two hosts of one app scan the same container at once, as two instances would.
    for (const instanceId of ['scanner-a', 'scanner-b']) {
      hosts.push(
        await startLocalFunctionsHost({
          entryModules: [],
          hostId: 'scan-test',
          instanceId,
          landingScan: { container: 'landing', queue: 'landing-events', intervalMs: 50 },
          log: () => {},
        }),
      );
    }
  });

  afterAll(async () => {
    for (const host of hosts) await host.close();
    await azurite?.close();
  });

  it('puts one BlobCreated event per (blob, ETag) on the queue, even with two scanners racing', async () => {
    await landing.createIfNotExists();
    const names = ['iot/a.csv', 'iot/b.csv', 'iot/nested/c.csv', 'other/d.csv', 'e.csv'];
    const etags = new Map<string, string>();
    for (const name of names) {
      const uploaded = await landing.getBlockBlobClient(name).upload(`rows of ${name}`, `rows of ${name}`.length, {
        blobHTTPHeaders: { blobContentType: 'text/csv' },
      });
      // Event Grid writes the ETag without the quotes HTTP puts around it.
      etags.set(name, (uploaded.etag ?? '').replace(/"/g, ''));
    }
    await waitFor('five events', async () => (await drain()).length >= 5);
    // Several more scan passes of both scanners must add nothing.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await drain();
    expect(received.map((event) => event.subject).sort()).toEqual(
      names.map((name) => `/blobServices/default/containers/landing/blobs/${name}`).sort(),
    );
    const first = received.find((event) => event.subject.endsWith('/iot/a.csv'));
    expect(first).toMatchObject({
      eventType: 'Microsoft.Storage.BlobCreated',
      metadataVersion: '1',
      topic: expect.stringContaining('/providers/Microsoft.Storage/storageAccounts/devstoreaccount1'),
      data: {
        api: 'PutBlob',
        eTag: etags.get('iot/a.csv'),
        contentType: 'text/csv',
        contentLength: 'rows of iot/a.csv'.length,
        blobType: 'BlockBlob',
        url: landing.getBlobClient('iot/a.csv').url,
      },
    });
  });

  it('takes over a claim left pending by a scanner that died before enqueuing', async () => {
    const blobs = BlobServiceClient.fromConnectionString(azurite.connectionString);
    const container = blobs.getContainerClient('landing-crash');
    await container.createIfNotExists();
    const uploaded = await container.getBlockBlobClient('iot/orphan.csv').upload('x', 1);
    const etag = (uploaded.etag ?? '').replace(/"/g, '');
    // What a scanner leaves behind when it dies between claiming and enqueuing.
    await blobs
      .getContainerClient('azure-webjobs-hosts')
      .getBlockBlobClient(`blobreceipts/scan-test/landing-crash/iot/orphan.csv/${etag}`)
      .upload('', 0, { metadata: { status: 'pending' } });
    const queue = QueueServiceClient.fromConnectionString(azurite.connectionString).getQueueClient('landing-crash-events');
    const rescuer = await startLocalFunctionsHost({
      entryModules: [],
      hostId: 'scan-test',
      landingScan: { container: 'landing-crash', queue: 'landing-crash-events', intervalMs: 50, pendingTimeoutMs: 500 },
      log: () => {},
    });
    hosts.push(rescuer);
    const message = await waitFor('the rescued event', async () => (await queue.receiveMessages()).receivedMessageItems[0]);
    const event = JSON.parse(Buffer.from(message.messageText, 'base64').toString('utf8')) as BlobCreated;
    expect(event.data.eTag).toBe(etag);
    await queue.deleteMessage(message.messageId, message.popReceipt);
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect((await queue.receiveMessages()).receivedMessageItems).toHaveLength(0);
  });

  it('sends a new event when a blob is overwritten (new ETag), and keeps receipts in azure-webjobs-hosts', async () => {
    const before = received.length;
    const replaced = await landing.getBlockBlobClient('iot/a.csv').upload('new content', 11);
    await waitFor('the event of the new version', async () => (await drain()).length > before);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await drain();
    expect(received.slice(before).map((event) => event.data.eTag)).toEqual([replaced.etag?.replace(/"/g, '')]);

    const receipts = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('azure-webjobs-hosts');
    const receiptNames: string[] = [];
    for await (const blob of receipts.listBlobsFlat({ prefix: 'blobreceipts/scan-test/landing/iot/a.csv/' })) receiptNames.push(blob.name);
    expect(receiptNames).toHaveLength(2);
  });

  it('after an Azurite restart, sends again the events of the blobs landed since the given time', async () => {
    const blobs = BlobServiceClient.fromConnectionString(azurite.connectionString);
    const inbox = blobs.getContainerClient('inbox');
    await inbox.createIfNotExists();
    const queue = QueueServiceClient.fromConnectionString(azurite.connectionString).getQueueClient('redelivered');
    await queue.createIfNotExists();
    await inbox.getBlockBlobClient('old.csv').upload('a,b\n', 4);
    // Last-Modified has whole seconds: the cut-off is a second boundary after the old blob's.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const since = new Date(Math.floor(Date.now() / 1000) * 1000);
    const recent = await inbox.getBlockBlobClient('ds/recent.csv').upload('a,b\n', 4);

    const sent = await redeliverRecentLandings({
      connectionString: azurite.connectionString,
      container: 'inbox',
      queue: 'redelivered',
      since,
    });
    expect(sent).toEqual(['ds/recent.csv']);
    const messages = (await queue.receiveMessages({ numberOfMessages: 32 })).receivedMessageItems;
    const events = messages.map((message) => JSON.parse(Buffer.from(message.messageText, 'base64').toString('utf8')) as BlobCreated);
    expect(events).toMatchObject([
      { subject: '/blobServices/default/containers/inbox/blobs/ds/recent.csv', data: { eTag: recent.etag!.replace(/"/g, '') } },
    ]);
  });
});
