/**
 * The app's Event Hubs clients retry soon after an outage of the hub: a send made while the emulator
 * is down succeeds within seconds of its return, where the SDK's default (30 s between attempts)
 * would keep it waiting for half a minute.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startEventHubsEmulator } from '../../local/eventhubs-emulator/index.js';
import { createEventHubProducer } from './azure-clients.js';

const config = { namespace: 'localhost', eventHubs: [{ name: 'outage', partitionCount: 1, consumerGroups: ['$default'] }] };

describe('Event Hubs clients', () => {
  it('send again within seconds of the hub coming back', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'etl-outage-'));
    let emulator = await startEventHubsEmulator({ config, dataDir, port: 0, log: () => {} });
    const port = Number(/sb:\/\/localhost:(\d+)/.exec(emulator.connectionString)![1]);
    const producer = await createEventHubProducer({ kind: 'connection-string', connectionString: emulator.connectionString }, 'outage');
    try {
      await producer.sendBatch([{ body: 'before' }]);
      await emulator.close();
      const sending = producer.sendBatch([{ body: 'during' }]);
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      emulator = await startEventHubsEmulator({ config, dataDir, port, log: () => {} });
      const backAt = Date.now();
      await sending;
      // The next attempt comes at most a few seconds after the return; the SDK's default would be ~30 s.
      expect(Date.now() - backAt).toBeLessThan(15_000);
    } finally {
      await producer.close();
      await emulator.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
