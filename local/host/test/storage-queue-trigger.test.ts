import { fileURLToPath } from 'node:url';
import { QueueServiceClient, type QueueClient } from '@azure/storage-queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type RunningAzurite } from '../../azurite/start-azurite.js';
import { startLocalFunctionsHost, type LocalFunctionsHost } from '../local-functions-host.js';
import { callsOf, finished } from './fixtures/recorder.js';
import { waitFor } from './wait-for.js';

const QUEUE = 'fixture-queue';
const base64Json = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64');
const recordedFinish = (marker: string): boolean => finished().includes(marker);
const withMarker = (marker: string) => callsOf('queueEcho').filter((call) => (call.input as { marker?: string }).marker === marker);

describe('storage queue trigger', () => {
  let azurite: RunningAzurite;
  let host: LocalFunctionsHost;
  let queue: QueueClient;
  let poison: QueueClient;
  const hostLog: string[] = [];

  beforeAll(async () => {
    azurite = await startAzurite();
    process.env.AzureWebJobsStorage = azurite.connectionString;
    process.env.FIXTURE_QUEUE = QUEUE;
    host = await startLocalFunctionsHost({
      entryModules: [fileURLToPath(new URL('./fixtures/queue-functions.ts', import.meta.url))],
      hostJson: { version: '2.0', extensions: { queues: { maxPollingInterval: '00:00:00.200', maxDequeueCount: 3 } } },
      log: (level, message) => hostLog.push(`${level} ${message}`),
    });
    const service = QueueServiceClient.fromConnectionString(azurite.connectionString);
    queue = service.getQueueClient(QUEUE);
    poison = service.getQueueClient(`${QUEUE}-poison`);
  });

  afterAll(async () => {
    await host?.close();
    await azurite?.close();
  });

  it('registers the functions the entry module declares with app.storageQueue', () => {
    expect(host.functions).toEqual(['queueEcho']);
  });

  it('invokes the handler with the decoded JSON message and the trigger metadata Azure passes, then deletes it', async () => {
    const sent = await queue.sendMessage(base64Json({ marker: 'ok', n: 1 }));
    const [call] = await waitFor('the ok message', () => withMarker('ok').length === 1 && withMarker('ok'));
    expect(call?.input).toEqual({ marker: 'ok', n: 1 });
    expect(call?.context.functionName).toBe('queueEcho');
    expect(call?.context.invocationId).toMatch(/^[0-9a-f-]{36}$/);
    expect(call?.context.retryContext).toBeUndefined();
    const metadata = call?.context.triggerMetadata ?? {};
    expect(metadata.id).toBe(sent.messageId);
    expect(metadata.dequeueCount).toBe(1);
    expect(metadata.queueTrigger).toEqual({ marker: 'ok', n: 1 });
    expect(typeof metadata.popReceipt).toBe('string');
    for (const key of ['insertionTime', 'expirationTime', 'nextVisibleTime']) {
      expect(Number.isNaN(Date.parse(String(metadata[key]))), key).toBe(false);
    }
    expect(call?.context.options).toMatchObject({ trigger: { type: 'queueTrigger', queueName: '%FIXTURE_QUEUE%' } });
    await waitFor('the message to be deleted', async () => (await queue.getProperties()).approximateMessagesCount === 0);
    expect(host.stats().functions.queueEcho?.failures).toBe(0);
    // context.log goes to the host's log, tagged with the function and invocation.
    expect(hostLog).toContainEqual(
      expect.stringMatching(new RegExp(`^information \\[queueEcho ${call?.context.invocationId.slice(0, 8)}\\] queueEcho got`)),
    );
  });

  it('retries a failing message until maxDequeueCount, then moves it to <queue>-poison', async () => {
    await queue.sendMessage(base64Json({ marker: 'bad', fail: true }));
    const poisoned = await waitFor('the poison message', async () => (await poison.receiveMessages()).receivedMessageItems[0]);
    expect(JSON.parse(Buffer.from(poisoned.messageText, 'base64').toString())).toEqual({ marker: 'bad', fail: true });
    expect(withMarker('bad').map((call) => call.context.triggerMetadata?.dequeueCount)).toEqual([1, 2, 3]);
    expect(host.stats().functions.queueEcho?.failures).toBe(3);
  });

  it('lets an invocation in flight finish and settle its message when the host closes', async () => {
    const second = await startLocalFunctionsHost({
      entryModules: [fileURLToPath(new URL('./fixtures/queue-functions.ts', import.meta.url))],
      hostJson: { version: '2.0', extensions: { queues: { maxPollingInterval: '00:00:00.200' } } },
      log: () => {},
    });
    process.env.FIXTURE_QUEUE_DELAY_MS = '800';
    try {
      await queue.sendMessage(base64Json({ marker: 'slow' }));
      await waitFor('the slow message to start', () => withMarker('slow').length > 0);
      // Both hosts poll the queue; close them both while the handler still sleeps.
      const closing = Promise.all([host.close(), second.close()]);
      await closing;
      expect(withMarker('slow')).toHaveLength(1);
      expect(recordedFinish('slow')).toBe(true);
      expect((await queue.getProperties()).approximateMessagesCount).toBe(0);
    } finally {
      delete process.env.FIXTURE_QUEUE_DELAY_MS;
      host = await startLocalFunctionsHost({
        entryModules: [fileURLToPath(new URL('./fixtures/queue-functions.ts', import.meta.url))],
        hostJson: { version: '2.0', extensions: { queues: { maxPollingInterval: '00:00:00.200', maxDequeueCount: 3 } } },
        log: () => {},
      });
    }
  });

  it('keeps a message invisible while a slow handler runs, renewing its visibility', async () => {
    // Two pollers with a 3 s processing visibility: without renewals the 4.5 s call would see its message again.
    // Renewals come every 1.5 s, so each may be 1.5 s late (a loaded machine) before the message shows.
    await host.close();
    const start = () =>
      startLocalFunctionsHost({
        entryModules: [fileURLToPath(new URL('./fixtures/queue-functions.ts', import.meta.url))],
        hostJson: { version: '2.0', extensions: { queues: { maxPollingInterval: '00:00:00.200', maxDequeueCount: 3 } } },
        queues: { processingVisibilitySeconds: 3 },
        log: () => {},
      });
    const pollers = [await start(), await start()];
    process.env.FIXTURE_QUEUE_DELAY_MS = '4500';
    try {
      await queue.sendMessage(base64Json({ marker: 'renewed' }));
      await waitFor('the slow message to finish', () => recordedFinish('renewed'));
      await waitFor('the message to be deleted', async () => (await queue.getProperties()).approximateMessagesCount === 0);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(withMarker('renewed')).toHaveLength(1);
    } finally {
      delete process.env.FIXTURE_QUEUE_DELAY_MS;
      await Promise.all(pollers.map((poller) => poller.close()));
      host = await start();
    }
  });

  it('moves a message that is not base64 to the poison queue without invoking', async () => {
    const before = callsOf('queueEcho').length;
    await queue.sendMessage('{not base64}');
    const poisoned = await waitFor('the undecodable message', async () =>
      (await poison.receiveMessages()).receivedMessageItems.find((message) => message.messageText === '{not base64}'),
    );
    expect(poisoned).toBeDefined();
    expect(callsOf('queueEcho').length).toBe(before);
  });
});
