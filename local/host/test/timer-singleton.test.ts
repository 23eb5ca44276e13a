import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type RunningAzurite } from '../../azurite/start-azurite.js';
import { startLocalFunctionsHost, type LocalFunctionsHost } from '../local-functions-host.js';
import { waitFor } from './wait-for.js';

const ticks = (host: LocalFunctionsHost): number => host.stats().functions.everySecond?.invocations ?? 0;

describe('timer listener lock', () => {
  let azurite: RunningAzurite;
  const hosts: LocalFunctionsHost[] = [];

  beforeAll(async () => {
    azurite = await startAzurite();
    process.env.AzureWebJobsStorage = azurite.connectionString;
    for (const instanceId of ['timer-a', 'timer-b']) {
      hosts.push(
        await startLocalFunctionsHost({
          entryModules: [fileURLToPath(new URL('./fixtures/http-timer-functions.ts', import.meta.url))],
          functions: ['everySecond'],
          hostId: 'timer-test',
          instanceId,
          log: () => {},
        }),
      );
    }
  });

  afterAll(async () => {
    for (const host of hosts) await host.close();
    await azurite?.close();
  });

  it('runs a timer in one host process of an app only, and hands it over when that host stops', async () => {
    const [a, b] = hosts as [LocalFunctionsHost, LocalFunctionsHost];
    await waitFor('three ticks', () => ticks(a) + ticks(b) >= 3);
    const [holder, other] = ticks(a) > 0 ? [a, b] : [b, a];
    expect(ticks(other)).toBe(0);

    await holder.close();
    const before = ticks(other);
    await waitFor('the other host to tick', () => ticks(other) > before + 1);
  });
});
