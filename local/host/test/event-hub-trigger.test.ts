import { fileURLToPath } from 'node:url';
import type { EventHubProducerClient } from '@azure/event-hubs';
import type { BlobCheckpointStore } from '@azure/eventhubs-checkpointstore-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalFunctionsHost, type LocalFunctionsHost } from '../local-functions-host.js';
import { callsOf } from './fixtures/recorder.js';
import { startHubServices, type HubServices } from './fixtures/hub-services.js';
import { waitFor } from './wait-for.js';

const HUB = 'fixture-hub';

describe('event hub trigger', () => {
  let services: HubServices;
  let host: LocalFunctionsHost;
  let producer: EventHubProducerClient;
  let checkpoints: BlobCheckpointStore;
  const hostLog: string[] = [];

  beforeAll(async () => {
    services = await startHubServices(HUB, 2);
    ({ producer, store: checkpoints } = services);
    host = await startLocalFunctionsHost({
      entryModules: [fileURLToPath(new URL('./fixtures/hub-functions.ts', import.meta.url))],
      hostJson: { version: '2.0', extensions: { eventHubs: { maxEventBatchSize: 10, prefetchCount: 20 } } },
      eventHubs: { loadBalancingUpdateIntervalMs: 500, partitionOwnershipExpirationIntervalMs: 3000 },
      log: (level, message) => hostLog.push(`${level} ${message}`),
    });
  });

  afterAll(async () => {
    await host?.close();
    await services?.close();
  });

  async function checkpointOf(partitionId: string, group: string): Promise<number | undefined> {
    const namespace = producer.fullyQualifiedNamespace;
    const list = await checkpoints.listCheckpoints(namespace, HUB, group);
    return list.find((checkpoint) => checkpoint.partitionId === partitionId)?.sequenceNumber;
  }

  it('delivers batches with bodies converted like dataType string and the Event Hubs trigger metadata', async () => {
    const batch = await producer.createBatch({ partitionId: '0' });
    const bodies: unknown[] = [{ n: 1 }, { n: 2 }, Buffer.from('plain text'), 42, 'a string', Buffer.alloc(0)];
    for (const body of bodies) batch.tryAdd({ body, properties: { dataset: 'iot', chunk: 7 } });
    await producer.sendBatch(batch);

    const seen = await waitFor('all events of partition 0', () => {
      const received = callsOf('hubBatch').filter(
        (call) => (call.context.triggerMetadata?.partitionContext as { partitionId?: string }).partitionId === '0',
      );
      const inputs = received.flatMap((call) => call.input as unknown[]);
      return inputs.length >= 5 && { received, inputs };
    });
    // The empty body is dropped from the string collection, as the host does.
    expect(seen.inputs).toEqual([{ n: 1 }, { n: 2 }, 'plain text', 42, 'a string']);

    const metadata = seen.received[0]?.context.triggerMetadata ?? {};
    expect(metadata.partitionContext).toEqual({
      fullyQualifiedNamespace: producer.fullyQualifiedNamespace,
      eventHubName: HUB,
      consumerGroup: 'batch',
      partitionId: '0',
    });
    const sequenceNumbers = seen.received.flatMap((call) => call.context.triggerMetadata?.sequenceNumberArray as number[]);
    expect(sequenceNumbers).toEqual(sequenceNumbers.map((_, index) => (sequenceNumbers[0] as number) + index));
    expect(sequenceNumbers).toHaveLength(6);
    const first = seen.received[0]?.context.triggerMetadata ?? {};
    const times = first.enqueuedTimeUtcArray as string[];
    expect(times[0]).not.toMatch(/Z$/);
    expect(Date.parse(`${times[0]}Z`)).toBeGreaterThan(Date.now() - 60_000);
    expect((first.propertiesArray as unknown[])[0]).toEqual({ dataset: 'iot', chunk: 7 });
    expect((first.systemPropertiesArray as Array<Record<string, unknown>>)[0]).toMatchObject({ sequenceNumber: sequenceNumbers[0] });
    expect((first.offsetArray as unknown[]).length).toBe(6);

    await waitFor('the checkpoint of partition 0', async () => (await checkpointOf('0', 'batch')) === sequenceNumbers.at(-1));
  });

  it('checkpoints a batch whose handler throws, and does not deliver it again', async () => {
    const failuresBefore = host.stats().functions.hubBatch?.failures ?? 0;
    const batch = await producer.createBatch({ partitionId: '1' });
    batch.tryAdd({ body: { n: 10, fail: true } });
    batch.tryAdd({ body: { n: 11 } });
    await producer.sendBatch(batch);
    const failing = await waitFor('the failing batch', () =>
      callsOf('hubBatch').find((call) => (call.input as Array<{ n?: number }>).some((event) => event.n === 11)),
    );
    const last = (failing.context.triggerMetadata?.sequenceNumberArray as number[]).at(-1);
    await waitFor('the checkpoint after the failed batch', async () => (await checkpointOf('1', 'batch')) === last);
    expect(host.stats().functions.hubBatch?.failures).toBe(failuresBefore + 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(callsOf('hubBatch').filter((call) => (call.input as Array<{ n?: number }>).some((event) => event.n === 11))).toHaveLength(1);
  });

  it('never hands a handler more than host.json maxEventBatchSize events', async () => {
    const batch = await producer.createBatch({ partitionId: '1' });
    for (let n = 100; n < 125; n++) batch.tryAdd({ body: { n } });
    await producer.sendBatch(batch);
    const calls = await waitFor('all 25 events', () => {
      const matching = callsOf('hubBatch').filter((call) => (call.input as Array<{ n?: number }>).some((event) => (event.n ?? 0) >= 100));
      return matching.flatMap((call) => call.input as unknown[]).length >= 25 && matching;
    });
    expect(Math.max(...calls.map((call) => (call.input as unknown[]).length))).toBeLessThanOrEqual(10);
    expect(calls.flatMap((call) => (call.input as Array<{ n: number }>).map((event) => event.n))).toEqual(
      Array.from({ length: 25 }, (_, i) => 100 + i),
    );
  });

  it('invokes cardinality one per event, retrying by the function retry policy with retryContext', async () => {
    const attempts = await waitFor('three attempts at the failing event', () => {
      const calls = callsOf('hubSingle').filter((call) => (call.input as { n?: number }).n === 10);
      return calls.length >= 3 && calls;
    });
    expect(attempts.map((call) => call.context.retryContext)).toEqual([
      { retryCount: 0, maxRetryCount: 2 },
      expect.objectContaining({
        retryCount: 1,
        maxRetryCount: 2,
        exception: expect.objectContaining({ message: expect.stringContaining('fails every time') }),
      }),
      expect.objectContaining({ retryCount: 2, maxRetryCount: 2 }),
    ]);
    const metadata = attempts[0]?.context.triggerMetadata ?? {};
    expect(typeof metadata.sequenceNumber).toBe('number');
    expect(metadata.sequenceNumberArray).toBeUndefined();
    expect((metadata.partitionContext as { consumerGroup?: string }).consumerGroup).toBe('single');
    const other = await waitFor('the event after it', () => callsOf('hubSingle').find((call) => (call.input as { n?: number }).n === 11));
    expect(other.input).toEqual({ n: 11 });
  });
});
