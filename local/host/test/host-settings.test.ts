import { describe, expect, it } from 'vitest';
import { resolveBindingExpression, resolveConnectionString } from '../binding-settings.js';
import { HostError } from '../host-error.js';
import { parseHostJson, parseTimeSpan } from '../host-json.js';
import { loadEntryModules } from '../load-entry-modules.js';
import { parseSchedule } from '../listeners/ncrontab.js';

/** The error `run` throws; fails the test if it throws none. */
function thrownBy(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error, none was thrown');
}

describe('host.json', () => {
  it('applies the Azure defaults to what it leaves out', () => {
    const config = parseHostJson({ version: '2.0' });
    expect(config.extensions.eventHubs).toMatchObject({
      maxEventBatchSize: 100,
      minEventBatchSize: 1,
      maxWaitTime: 60_000,
      batchCheckpointFrequency: 1,
      prefetchCount: 300,
      initialOffsetOptions: { type: 'fromStart' },
      clientRetryOptions: { mode: 'exponential', tryTimeout: 60_000, delay: 800, maximumDelay: 60_000, maximumRetries: 3 },
    });
    expect(config.extensions.queues).toMatchObject({ maxDequeueCount: 5, visibilityTimeout: 0, messageEncoding: 'base64' });
    expect(config.extensions.http.routePrefix).toBe('api');
  });

  it('reads the repository host.json shape and TimeSpans', () => {
    const config = parseHostJson({
      functionTimeout: '00:10:00',
      extensions: {
        eventHubs: { maxEventBatchSize: 50, maxWaitTime: '00:00:05', initialOffsetOptions: { type: 'fromEnd' } },
        blobs: { poisonBlobThreshold: 5 },
      },
    });
    expect(config.functionTimeout).toBe(600_000);
    expect(config.extensions.eventHubs.maxEventBatchSize).toBe(50);
    expect(config.extensions.eventHubs.maxWaitTime).toBe(5_000);
    expect(config.extensions.eventHubs.initialOffsetOptions.type).toBe('fromEnd');
    const retry = parseHostJson({
      extensions: { eventHubs: { clientRetryOptions: { mode: 'fixed', delay: '00:00:02', maximumRetries: 5 } } },
    });
    expect(retry.extensions.eventHubs.clientRetryOptions).toEqual({
      mode: 'fixed',
      tryTimeout: 60_000,
      delay: 2_000,
      maximumDelay: 60_000,
      maximumRetries: 5,
    });
    expect(parseTimeSpan('1.02:03:04.5')).toBe(((26 * 60 + 3) * 60 + 4) * 1000 + 500);
  });

  it('rejects values Azure would reject, naming the field', () => {
    expect(() => parseHostJson({ extensions: { eventHubs: { maxEventBatchSize: 0 } } })).toThrow(/maxEventBatchSize/);
    expect(() => parseHostJson({ extensions: { queues: { visibilityTimeout: 'soon' } } })).toThrow(/TimeSpan/);
  });
});

describe('host errors', () => {
  it("are the host's own HostError with its codes, not the app's error type", async () => {
    const invalidConfig = { name: 'HostError', code: 'INVALID_CONFIG' };
    expect(thrownBy(() => parseHostJson({ extensions: { eventHubs: { maxEventBatchSize: 0 } } }))).toMatchObject(invalidConfig);
    expect(thrownBy(() => parseTimeSpan('soon'))).toMatchObject(invalidConfig);
    expect(thrownBy(() => parseSchedule('* * * * *'))).toMatchObject(invalidConfig);
    expect(thrownBy(() => resolveBindingExpression('%MISSING%', {}))).toMatchObject(invalidConfig);
    expect(thrownBy(() => resolveConnectionString(undefined, 'AzureWebJobsStorage', {}))).toBeInstanceOf(HostError);
    await expect(loadEntryModules(['functions/index.ts'])).rejects.toMatchObject({ name: 'HostError', code: 'ENTRY_MODULE_FAILED' });
  });
});

describe('binding settings', () => {
  const env = { ETL_RECORDS_HUB: 'records', ETL_EVENTHUB: 'Endpoint=sb://x', AzureWebJobsLegacy: 'legacy' };

  it('resolves %SETTING% expressions from the environment', () => {
    expect(resolveBindingExpression('%ETL_RECORDS_HUB%', env)).toBe('records');
    expect(resolveBindingExpression('prefix-%ETL_RECORDS_HUB%', env)).toBe('prefix-records');
    expect(() => resolveBindingExpression('%MISSING%', env)).toThrow(/MISSING/);
  });

  it('finds connections by name, with the AzureWebJobs prefix fallback and a default', () => {
    expect(resolveConnectionString('ETL_EVENTHUB', 'AzureWebJobsStorage', env)).toBe('Endpoint=sb://x');
    expect(resolveConnectionString('Legacy', 'AzureWebJobsStorage', env)).toBe('legacy');
    expect(() => resolveConnectionString(undefined, 'AzureWebJobsStorage', env)).toThrow(/AzureWebJobsStorage/);
  });
});
