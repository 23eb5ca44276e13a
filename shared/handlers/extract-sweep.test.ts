/**
 * The extract sweep and extract's heartbeat, on the real services (Azurite, the emulator, SQLite):
 * a file whose extract died and whose landing event was lost is put back on `landing-events` once,
 * and the event put back extracts it; a file extract is still reading is left alone.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { InvocationContext } from '@azure/functions';
import { QueueServiceClient, type QueueClient } from '@azure/storage-queue';
import { extractFromQueue } from '../../functions/extract.js';
import { LANDING_EVENTS_QUEUE, LANDING_MAX_DEQUEUE_COUNT } from '../config/app-settings.js';
import { startLocalStack, type LocalStack } from '../../local/cli/local-stack.js';
import { generateIotCsv } from '../../local/sample-data/iot-csv-generator.js';
import { getEtlRuntime, type EtlRuntime } from '../runtime/etl-runtime.js';
import { silentLogger } from '../runtime/logger.js';
import { AzureBlobSource } from '../adapters/azure-blob-source.js';
import { dyingRecordsHub } from './test/handler-fixtures.js';
import { extractFile, fileIdFor } from './extract-handler.js';
import { sweepStalledExtracts } from './extract-sweep.js';

const MINUTE = 60_000;
const SWEEP = { stalledAfterMs: 2 * MINUTE, limit: 100 };

describe('the extract sweep', () => {
  let stateDir: string;
  let stack: LocalStack;
  let runtime: EtlRuntime;
  let landingQueue: QueueClient;

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'etl-sweep-'));
    stack = await startLocalStack({ stateDir, ports: 'free', functionsHost: false, partitions: 2, log: () => {} });
    runtime = await getEtlRuntime();
    landingQueue = QueueServiceClient.fromConnectionString(stack.settings.AzureWebJobsStorage!).getQueueClient(LANDING_EVENTS_QUEUE);
  }, 120_000);

  afterAll(async () => {
    await stack?.close();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    await landingQueue.clearMessages();
  });

  async function land(blobName: string, rows: number): Promise<string> {
    const content = [...generateIotCsv({ rows, seed: rows, badRowRate: 0, duplicateRate: 0 }).chunks].join('');
    const blob = stack.blobService.getContainerClient('landing').getBlockBlobClient(blobName);
    await blob.upload(content, Buffer.byteLength(content));
    return fileIdFor('landing', blobName, (await new AzureBlobSource(stack.blobService).info('landing', blobName))!);
  }

  function sweepAt(at: Date) {
    return sweepStalledExtracts({ ...runtime.extractSweepDependencies(silentLogger), clock: () => at }, SWEEP);
  }

  async function landingMessages(): Promise<string[]> {
    const received = await landingQueue.receiveMessages({ numberOfMessages: 32, visibilityTimeout: 1 });
    return received.receivedMessageItems.map((message) => Buffer.from(message.messageText, 'base64').toString('utf8'));
  }

  it('puts back the landing event of a file extract died on, once, and that event extracts the file', async () => {
    const blobName = 'iot_events/sweep/died.csv';
    const fileId = await land(blobName, 300);
    const deps = { ...runtime.extractDependencies(silentLogger), chunk: { maxRows: 50, maxBytes: 100_000 } };
    await expect(
      extractFile({ ...deps, records: dyingRecordsHub(runtime.records, { failAfter: 2 }).hub }, { container: 'landing', blobName }),
    ).rejects.toThrow(/died/);
    const stalled = await runtime.store.manifest.getFile(fileId);
    expect(stalled?.state).toBe('extracting');
    const diedAt = Date.parse(stalled!.updatedAt);

    // Within the stall time nothing happens: the host may still bring the message back.
    expect(await sweepAt(new Date(diedAt + MINUTE))).toEqual({ redelivered: [], failed: [] });
    expect(await landingMessages()).toEqual([]);

    const later = new Date(diedAt + 3 * MINUTE);
    expect(await sweepAt(later)).toEqual({ redelivered: [fileId], failed: [] });
    // The sweep after it finds the file claimed (touched at `later`) and sends nothing more.
    expect(await sweepAt(new Date(later.getTime() + 30_000))).toEqual({ redelivered: [], failed: [] });
    const messages = await landingMessages();
    expect(messages).toHaveLength(1);
    expect(JSON.parse(messages[0]!)).toMatchObject({
      eventType: 'Microsoft.Storage.BlobCreated',
      subject: `/blobServices/default/containers/landing/blobs/${blobName}`,
    });

    // The host hands the event to extract as it does any landing message.
    await extractFromQueue(messages[0]!, new InvocationContext({ functionName: 'extract', triggerMetadata: { dequeueCount: 1 } }));
    expect(await runtime.store.manifest.getFile(fileId)).toMatchObject({
      state: 'loading',
      totalRows: 300,
      validRows: 300,
      rejectedRows: 0,
    });
  });

  it('of two sweeps at once, one puts the event back', async () => {
    const blobName = 'iot_events/sweep/raced.csv';
    const fileId = await land(blobName, 20);
    const deps = runtime.extractDependencies(silentLogger);
    await expect(
      extractFile({ ...deps, records: dyingRecordsHub(runtime.records, { failAfter: 0 }).hub }, { container: 'landing', blobName }),
    ).rejects.toThrow();
    const at = new Date(Date.parse((await runtime.store.manifest.getFile(fileId))!.updatedAt) + 5 * MINUTE);
    const [first, second] = await Promise.all([sweepAt(at), sweepAt(at)]);
    expect([...first.redelivered, ...second.redelivered]).toEqual([fileId]);
    expect(await landingMessages()).toHaveLength(1);
  });

  it('fails a stalled file whose blob is gone or was replaced, and puts nothing back', async () => {
    const deps = runtime.extractDependencies(silentLogger);
    const gone = 'iot_events/sweep/gone.csv';
    const replaced = 'iot_events/sweep/replaced.csv';
    const goneId = await land(gone, 10);
    const replacedId = await land(replaced, 10);
    for (const blobName of [gone, replaced])
      await expect(
        extractFile({ ...deps, records: dyingRecordsHub(runtime.records, { failAfter: 0 }).hub }, { container: 'landing', blobName }),
      ).rejects.toThrow();
    await stack.blobService.getContainerClient('landing').deleteBlob(gone);
    await land(replaced, 11);
    // (Earlier tests' stalled files are put back by this sweep too; only these two fail.)
    const outcome = await sweepAt(new Date(Date.now() + 10 * MINUTE));
    expect(outcome.redelivered).not.toContain(goneId);
    expect(outcome.redelivered).not.toContain(replacedId);
    expect([...outcome.failed].sort()).toEqual([goneId, replacedId].sort());
    expect(await runtime.store.manifest.getFile(goneId)).toMatchObject({
      state: 'failed',
      error: expect.stringMatching(/is gone; upload it again/),
    });
    expect(await runtime.store.manifest.getFile(replacedId)).toMatchObject({
      state: 'failed',
      error: expect.stringMatching(/was replaced by another upload/),
    });
    const named = (await landingMessages()).filter((text) => text.includes(gone) || text.includes(replaced));
    expect(named).toEqual([]);
  });

  it('keeps touching a file while extract reads it, so the sweep leaves it alone', async () => {
    const blobName = 'iot_events/sweep/slow.csv';
    const fileId = await land(blobName, 200);
    const deps = { ...runtime.extractDependencies(silentLogger), chunk: { maxRows: 20, maxBytes: 100_000 }, heartbeatMs: 50 };
    const extracting = extractFile(
      { ...deps, records: dyingRecordsHub(runtime.records, { delayMs: 60 }).hub },
      { container: 'landing', blobName },
    );
    const seen = new Set<string>();
    while ((await runtime.store.manifest.getFile(fileId))?.state !== 'loading') {
      const file = await runtime.store.manifest.getFile(fileId);
      if (file?.state === 'extracting') seen.add(file.updatedAt);
      await new Promise((resolve) => setTimeout(resolve, 40));
    }
    await extracting;
    // Begun, then touched while it read (at least two heartbeats in its ~0.6 s of publishing).
    expect(seen.size).toBeGreaterThanOrEqual(3);
  });

  it('fails the file on the last delivery of its landing message, before the message goes to the poison queue', async () => {
    const blobName = 'iot_events/sweep/poisoned.csv';
    const fileId = await land(blobName, 10);
    const deps = { ...runtime.extractDependencies(silentLogger), records: dyingRecordsHub(runtime.records, { failAfter: 0 }).hub };
    await expect(extractFile(deps, { container: 'landing', blobName }, { last: false })).rejects.toThrow();
    expect((await runtime.store.manifest.getFile(fileId))?.state).toBe('extracting');
    await expect(extractFile(deps, { container: 'landing', blobName }, { last: true })).rejects.toThrow(/died/);
    expect(await runtime.store.manifest.getFile(fileId)).toMatchObject({
      state: 'failed',
      error: expect.stringMatching(/gave up on the last delivery: .*died.*landing-events-poison.*replay --all/),
    });
  });

  it("knows the host's last delivery from host.json", async () => {
    const hostJson = JSON.parse(await readFile(join(import.meta.dirname, '..', '..', 'host.json'), 'utf8')) as {
      extensions: { queues: { maxDequeueCount?: number } };
    };
    expect(hostJson.extensions.queues.maxDequeueCount).toBe(LANDING_MAX_DEQUEUE_COUNT);
  });
});
