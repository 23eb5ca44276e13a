import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueueServiceClient } from '@azure/storage-queue';
import { startAzurite, type RunningAzurite } from '../../local/azurite/start-azurite.js';
import { LANDING_EVENTS_QUEUE } from '../config/app-settings.js';
import { LANDING_POISON_QUEUE } from '../config/app-settings.js';
import { listPoisonedLandings, requeuePoisonedLandings } from './landing-poison-queue.js';

describe('the landing poison queue (extract dead letters)', () => {
  let azurite: RunningAzurite;
  let queues: QueueServiceClient;

  beforeAll(async () => {
    azurite = await startAzurite({});
    queues = QueueServiceClient.fromConnectionString(azurite.connectionString);
  }, 60_000);

  afterAll(async () => {
    await azurite?.close();
  });

  it('is empty when the queue does not exist yet', async () => {
    expect(await listPoisonedLandings(queues)).toEqual([]);
    expect(await requeuePoisonedLandings(queues)).toBe(0);
  });

  it('lists the blobs extract gave up on and puts their events back, still encoded', async () => {
    const subject = '/blobServices/default/containers/landing/blobs/iot_events/bad.csv';
    const encoded = Buffer.from(JSON.stringify({ eventType: 'Microsoft.Storage.BlobCreated', subject })).toString('base64');
    const poison = queues.getQueueClient(LANDING_POISON_QUEUE);
    await poison.createIfNotExists();
    await queues.getQueueClient(LANDING_EVENTS_QUEUE).createIfNotExists();
    await poison.sendMessage(encoded);

    expect((await listPoisonedLandings(queues)).map((item) => item.subject)).toEqual([subject]);
    expect(await requeuePoisonedLandings(queues)).toBe(1);
    expect(await listPoisonedLandings(queues)).toEqual([]);
    const { peekedMessageItems } = await queues.getQueueClient(LANDING_EVENTS_QUEUE).peekMessages({ numberOfMessages: 5 });
    expect(peekedMessageItems.map((item) => item.messageText)).toEqual([encoded]);
  });
});
