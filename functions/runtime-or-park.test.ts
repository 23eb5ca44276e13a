/**
 * A cold start while the database is down: the Event Hubs functions cannot build their runtime, and
 * since the host checkpoints the batch anyway, every event must be parked in dead letters.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvocationContext } from '@azure/functions';
import { BlobServiceClient } from '@azure/storage-blob';
import { startAzurite, type RunningAzurite } from '../local/azurite/start-azurite.js';
import { BlobDeadLetterStore } from '../shared/adapters/blob-dead-letter-store.js';
import { closeEtlRuntime } from '../shared/runtime/etl-runtime.js';
import { transformEvents } from './transform.js';

describe('Event Hubs functions when the pipeline cannot start', () => {
  let azurite: RunningAzurite;
  const saved = { ...process.env };

  beforeAll(async () => {
    azurite = await startAzurite({});
    await BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('deadletters').createIfNotExists();
    Object.assign(process.env, {
      AzureWebJobsStorage: azurite.connectionString,
      ETL_EVENTHUB:
        'Endpoint=sb://localhost:1;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;',
      // A database that cannot be opened: a file below a regular file.
      ETL_SQLITE_PATH: '/dev/null/etl.sqlite',
      ETL_MAX_ATTEMPTS: '2',
      ETL_RETRY_BASE_MS: '1',
    });
  }, 60_000);

  afterAll(async () => {
    await closeEtlRuntime().catch(() => undefined);
    process.env = saved;
    await azurite?.close();
  });

  it('parks every event of the batch with the reason, instead of losing them', async () => {
    const context = new InvocationContext({
      functionName: 'transform',
      triggerMetadata: { propertiesArray: [{ fileId: 'f1' }, {}], partitionKeyArray: ['k', null], partitionContext: { partitionId: '0' } },
    });
    await transformEvents(['{"type":"etl.chunk","fileId":"f1"}', 'not json'], context);
    const letters = await new BlobDeadLetterStore(
      BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('deadletters'),
    ).list({ stage: 'transform' });
    expect(letters).toHaveLength(2);
    expect(letters.map((letter) => letter.source)).toEqual(['records', 'records']);
    for (const letter of letters) expect(letter.error).toContain('the pipeline could not start');
    expect(letters.map((letter) => letter.body).sort()).toEqual(['not json', '{"type":"etl.chunk","fileId":"f1"}'].sort());
  });
});
