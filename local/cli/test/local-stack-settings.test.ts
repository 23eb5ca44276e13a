/**
 * The local stack takes its container, hub and consumer-group names from the settings the app reads:
 * with every one of them renamed, a file still goes all the way through, on hubs of those names.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventHubConsumerClient } from '@azure/event-hubs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appSettingsFromEnvironment, startLocalStack, type LocalStack } from '../local-stack.js';
import { uploadGeneratedIotCsv } from '../upload-file.js';
import { getEtlRuntime } from '../../../shared/runtime/etl-runtime.js';
import type { FileManifest } from '../../../shared/ports/file-manifest.js';
import { waitFor } from '../../host/test/wait-for.js';

const RENAMED = {
  ETL_RECORDS_HUB: 'rows',
  ETL_AGGREGATES_HUB: 'partials',
  ETL_TRANSFORM_CONSUMER_GROUP: 'loader',
  ETL_AGGREGATE_CONSUMER_GROUP: 'merger',
  ETL_LANDING_CONTAINER: 'incoming',
  ETL_REJECTED_CONTAINER: 'bad-rows',
  ETL_DEADLETTER_CONTAINER: 'parked',
};

describe('local stack settings', () => {
  let stateDir: string;
  let stack: LocalStack;

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'etl-settings-'));
    stack = await startLocalStack({
      stateDir,
      ports: 'free',
      partitions: 2,
      scanIntervalMs: 200,
      emulator: 'in-process',
      settings: RENAMED,
      log: () => {},
    });
    // Only bounds a hang: starting the stack's processes took over 120 s on the shared, oversubscribed machine.
  }, 400_000);

  afterAll(async () => {
    await stack?.close();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  it('builds hubs, consumer groups and containers from the settings the app reads', async () => {
    expect(stack.config.hubs).toEqual({
      records: 'rows',
      aggregates: 'partials',
      transformConsumerGroup: 'loader',
      aggregateConsumerGroup: 'merger',
    });
    for (const [hub, group] of [
      ['rows', 'loader'],
      ['partials', 'merger'],
    ] as const) {
      const client = new EventHubConsumerClient(group, stack.eventHubsConnectionString, hub);
      try {
        expect(await client.getPartitionIds()).toEqual(['0', '1']);
      } finally {
        await client.close();
      }
    }
    for (const container of ['incoming', 'bad-rows', 'parked'])
      expect(await stack.blobService.getContainerClient(container).exists()).toBe(true);

    const expected = await uploadGeneratedIotCsv(
      stack.blobService,
      'iot_events/renamed.csv',
      { rows: 500, seed: 3, duplicateRate: 0, badRowRate: 0.02 },
      stack.config.containers.landing,
    );
    const runtime = await getEtlRuntime();
    const file = await waitFor<FileManifest>(
      'the file to complete',
      async () => {
        const [found] = await runtime.store.manifest.listFiles({ limit: 10 });
        return found?.state === 'complete' ? found : undefined;
      },
      90_000,
      200,
    );
    expect(file).toMatchObject({
      blobName: 'iot_events/renamed.csv',
      totalRows: expected.rows,
      rejectedRows: expected.badRows,
      loadedRows: expected.distinctKeys,
    });
    const rejected = stack.blobService.getContainerClient('bad-rows').listBlobsFlat();
    expect((await rejected.next()).done).toBe(false);
  }, 120_000);

  it('takes from the environment the settings that apply everywhere, not the stack connections', () => {
    const environment = {
      ETL_CHUNK_MAX_ROWS: '500',
      ETL_RECORDS_HUB: 'rows',
      ETL_MAX_ATTEMPTS: ' ',
      AzureWebJobsStorage: 'UseDevelopmentStorage=true',
      ETL_SQLITE_PATH: '/elsewhere.sqlite',
      ETL_SQL_DRIVER: 'mssql',
      APPLICATIONINSIGHTS_CONNECTION_STRING: 'InstrumentationKey=x',
      PATH: '/usr/bin',
    };
    expect(appSettingsFromEnvironment(environment)).toEqual({ ETL_CHUNK_MAX_ROWS: '500', ETL_RECORDS_HUB: 'rows' });
  });

  it('refuses a name the app would refuse, before anything starts', async () => {
    const refusedDir = join(tmpdir(), `etl-settings-refused-${process.pid}-${Date.now()}`);
    await expect(
      startLocalStack({ stateDir: refusedDir, ports: 'free', settings: { ETL_RECORDS_HUB: 'no spaces' }, log: () => {} }),
    ).rejects.toThrow(/ETL_RECORDS_HUB/);
    expect(existsSync(refusedDir)).toBe(false);
  });
});
