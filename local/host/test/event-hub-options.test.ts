import { fileURLToPath } from 'node:url';
import type { EventHubProducerClient } from '@azure/event-hubs';
import type { BlobCheckpointStore } from '@azure/eventhubs-checkpointstore-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalFunctionsHost, type LocalFunctionsHost } from '../local-functions-host.js';
import { callsOf } from './fixtures/recorder.js';
import { startHubServices, type HubServices } from './fixtures/hub-services.js';
import { waitForOwnerReader } from './owner-reader.js';
import { waitFor } from './wait-for.js';

const HUB = 'options-hub';

describe('event hub trigger with host.json options', () => {
  let services: HubServices;
  let host: LocalFunctionsHost;
  let producer: EventHubProducerClient;
  let checkpoints: BlobCheckpointStore;

  const send = async (...ns: number[]): Promise<void> => {
    const batch = await producer.createBatch({ partitionId: '0' });
    for (const n of ns) batch.tryAdd({ body: { n } });
    await producer.sendBatch(batch);
  };
  const checkpoint = async (): Promise<number | undefined> =>
    (await checkpoints.listCheckpoints(producer.fullyQualifiedNamespace, HUB, 'batch')).find((c) => c.partitionId === '0')?.sequenceNumber;

  beforeAll(async () => {
    services = await startHubServices(HUB, 1);
    ({ producer, store: checkpoints } = services);
    // Already on the hub before the host starts: fromEnd must skip them.
    await send(-3, -2, -1);
    host = await startLocalFunctionsHost({
      entryModules: [fileURLToPath(new URL('./fixtures/hub-functions.ts', import.meta.url))],
      functions: ['hubBatch'],
      hostJson: {
        extensions: {
          eventHubs: {
            minEventBatchSize: 4,
            maxWaitTime: '00:00:00.300',
            batchCheckpointFrequency: 2,
            initialOffsetOptions: { type: 'fromEnd' },
          },
        },
      },
      log: () => {},
    });
  });

  afterAll(async () => {
    await host?.close();
    await services?.close();
  });

  it('starts at the end, waits for minEventBatchSize up to maxWaitTime, and checkpoints every second batch', async () => {
    // Let the processor claim the partition and open its receiver at the end of the stream: only
    // what is sent after that attach reaches it.
    await waitFor(
      'the partition to be owned',
      async () => (await checkpoints.listOwnership(producer.fullyQualifiedNamespace, HUB, 'batch')).length === 1,
    );
    await waitForOwnerReader(services.emulator.connectionString, HUB, 'batch', '0');
    const startedAt = Date.now();
    await send(1, 2);
    const [short] = await waitFor('the short batch after maxWaitTime', () => callsOf('hubBatch').length > 0 && callsOf('hubBatch'));
    // A sub-second wait is honoured as given, not rounded up to the SDK's next whole second.
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(280);
    expect(Date.now() - startedAt).toBeLessThan(900);
    expect(short?.input).toEqual([{ n: 1 }, { n: 2 }]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await checkpoint()).toBeUndefined();

    await send(3, 4, 5, 6);
    const calls = await waitFor('the full batch', () => callsOf('hubBatch').length > 1 && callsOf('hubBatch'));
    expect(calls[1]?.input).toEqual([{ n: 3 }, { n: 4 }, { n: 5 }, { n: 6 }]);
    const last = (calls[1]?.context.triggerMetadata?.sequenceNumberArray as number[]).at(-1);
    await waitFor('the checkpoint after the second batch', async () => (await checkpoint()) === last);
    expect(
      callsOf('hubBatch')
        .flatMap((call) => call.input as Array<{ n: number }>)
        .some((event) => event.n < 0),
    ).toBe(false);
  });

  it('renews partition ownership on the SDK default cycle (10 s) when no load-balancing options are given, not in a tight loop', async () => {
    const ownership = async () => (await checkpoints.listOwnership(producer.fullyQualifiedNamespace, HUB, 'batch'))[0];
    const before = await waitFor('the partition to be owned', ownership);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const after = await ownership();
    // Each renewal rewrites the ownership blob; within 2 s of a 10 s cycle at most one may happen.
    expect(after?.ownerId).toBe(before.ownerId);
    const renewals = after?.etag === before.etag ? 0 : 1;
    await new Promise((resolve) => setTimeout(resolve, 300));
    const later = await ownership();
    expect(renewals + (later?.etag === after?.etag ? 0 : 1)).toBeLessThanOrEqual(1);
  });
});
