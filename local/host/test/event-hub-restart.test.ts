/**
 * A host that starts again under the instance id of a process that died finds that process's
 * partition ownerships, still fresh. It must read those partitions at once rather than after the
 * ownerships expire (10 minutes here), and leave another live owner's partitions alone.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalFunctionsHost, type LocalFunctionsHost } from '../local-functions-host.js';
import { callsOf } from './fixtures/recorder.js';
import { startHubServices, type HubServices } from './fixtures/hub-services.js';
import { waitFor } from './wait-for.js';

const HUB = 'restart-hub';
const EXPIRY_MS = 600_000;

describe('event hub trigger after a restart under the same instance id', () => {
  let services: HubServices;
  let host: LocalFunctionsHost | undefined;

  beforeAll(async () => {
    services = await startHubServices(HUB, 2);
  });

  afterAll(async () => {
    await host?.close();
    await services?.close();
  });

  it('claims the partitions its earlier process owned at once, and only those', async () => {
    // What a host killed a moment ago leaves: partition 0 owned by 'host-x', partition 1 by a live 'host-y'.
    const { producer, store } = services;
    const namespace = producer.fullyQualifiedNamespace;
    const owned = (partitionId: string, ownerId: string) => ({
      fullyQualifiedNamespace: namespace,
      eventHubName: HUB,
      consumerGroup: 'batch',
      partitionId,
      ownerId,
    });
    expect(await store.claimOwnership([owned('0', 'host-x'), owned('1', 'host-y')])).toHaveLength(2);

    host = await startLocalFunctionsHost({
      entryModules: [fileURLToPath(new URL('./fixtures/hub-functions.ts', import.meta.url))],
      hostJson: { version: '2.0' },
      instanceId: 'host-x',
      functions: ['hubBatch'],
      eventHubs: { loadBalancingUpdateIntervalMs: 500, partitionOwnershipExpirationIntervalMs: EXPIRY_MS },
      log: () => {},
    });
    await producer.sendBatch([{ body: { n: 1 } }], { partitionId: '0' });
    // The bound only catches a hang; without the release this would wait for the 10-minute expiry.
    const calls = await waitFor('the event on partition 0', () => callsOf('hubBatch').length > 0 && callsOf('hubBatch'), 240_000, 100);
    expect((calls[0]!.context.triggerMetadata?.partitionContext as { partitionId: string }).partitionId).toBe('0');
    const owners = new Map(
      (await store.listOwnership(namespace, HUB, 'batch')).map((ownership) => [ownership.partitionId, ownership.ownerId]),
    );
    expect(owners).toEqual(
      new Map([
        ['0', 'host-x'],
        ['1', 'host-y'],
      ]),
    );
  }, 300_000);
});
