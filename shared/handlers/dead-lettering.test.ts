/**
 * Dead letters on the real blob store (Azurite) and the real aggregates hub (the emulator): no
 * letter overwrites another, a redelivered event stays one letter, and a replay never hides a
 * failure that happened while it ran.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobServiceClient, type BlockBlobClient, type ContainerClient } from '@azure/storage-blob';
import { EventHubProducerClient } from '@azure/event-hubs';
import { startAzurite, type RunningAzurite } from '../../local/azurite/start-azurite.js';
import { startEventHubsEmulator, type RunningEventHubsEmulator } from '../../local/eventhubs-emulator/index.js';
import { BlobDeadLetterStore, type DeadLetterContainerLike } from '../adapters/blob-dead-letter-store.js';
import { EventHubsEventPublisher } from '../adapters/eventhubs-event-publisher.js';
import { openEtlStore } from '../sql/open-etl-store.js';
import type { EtlStore } from '../ports/etl-store.js';
import type { EventPublisher } from '../ports/event-publisher.js';
import { iotEventsDataset } from '../datasets/iot-events.js';
import { silentLogger } from '../runtime/logger.js';
import { deadLetterIdText, parkEvent, type DeadLetterInput } from './dead-lettering.js';
import { replayDeadLetter } from './replay-dead-letters.js';
import { StatusService } from '../status/status-service.js';

describe('dead letters', () => {
  let directory: string;
  let azurite: RunningAzurite;
  let emulator: RunningEventHubsEmulator;
  let container: ContainerClient;
  let store: EtlStore;
  let aggregates: EventHubsEventPublisher;
  let testCounter = 0;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'etl-dead-letters-'));
    azurite = await startAzurite({});
    emulator = await startEventHubsEmulator({ config: { eventHubs: [{ name: 'aggregates', partitionCount: 1 }] }, port: 0, log: () => {} });
    store = await openEtlStore({ driver: 'sqlite', path: join(directory, 'etl.sqlite') });
    await store.migrate([iotEventsDataset]);
    aggregates = new EventHubsEventPublisher(new EventHubProducerClient(emulator.connectionString, 'aggregates'), 'aggregates');
  }, 60_000);

  afterAll(async () => {
    await aggregates?.close();
    await store?.close();
    await emulator?.close();
    await azurite?.close();
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  /** A store on a container of its own, so that each test sees only its letters. */
  async function freshStore(): Promise<BlobDeadLetterStore> {
    testCounter += 1;
    container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(`deadletters-${testCounter}`);
    await container.create();
    return new BlobDeadLetterStore(container);
  }

  const park = (deadLetters: BlobDeadLetterStore, id: string, body: unknown, error = 'failed') =>
    parkEvent(deadLetters, silentLogger, {
      stage: 'aggregate',
      source: 'aggregates',
      event: { body, partitionKey: 'Berlin' },
      id,
      error: new Error(error),
      attempts: 1,
      at: new Date().toISOString(),
    } satisfies DeadLetterInput);

  it('gives ids that differ only in characters outside [A-Za-z0-9_-] letters of their own', async () => {
    const deadLetters = await freshStore();
    const spaced = await park(deadLetters, 'partial/Berlin Mitte', { dimension: 'Berlin Mitte' });
    const underscored = await park(deadLetters, 'partial/Berlin_Mitte', { dimension: 'Berlin_Mitte' });
    const letters = await deadLetters.list();
    expect(letters.map((letter) => JSON.parse(letter.body) as unknown)).toEqual(
      expect.arrayContaining([{ dimension: 'Berlin Mitte' }, { dimension: 'Berlin_Mitte' }]),
    );
    expect(letters).toHaveLength(2);
    expect(spaced.id).not.toBe(underscored.id);
    // One to one, and a long id keeps a hash of the whole.
    expect(deadLetterIdText('a b')).toBe('a.20b');
    expect(deadLetterIdText('a.20b')).toBe('a.2E20b');
    const long = 'x'.repeat(300);
    expect(deadLetterIdText(long)).not.toBe(deadLetterIdText(`${long}y`));
    expect(deadLetterIdText(long).length).toBeLessThanOrEqual(160);
  });

  it('keeps a different event parked under an id that is taken under an id of its own', async () => {
    const deadLetters = await freshStore();
    const first = await park(deadLetters, 'chunk-7', { rows: ['first'] });
    const second = await park(deadLetters, 'chunk-7', { rows: ['second'] });
    const bodies = (await deadLetters.list()).map((letter) => JSON.parse(letter.body) as unknown);
    expect(bodies).toEqual(expect.arrayContaining([{ rows: ['first'] }, { rows: ['second'] }]));
    expect(first).toEqual({ id: 'aggregate-chunk-7', added: true });
    expect(second.id).not.toBe(first.id);
    expect(second.added).toBe(true);
    expect(JSON.parse((await deadLetters.get(first.id))!.body)).toEqual({ rows: ['first'] });
    expect(JSON.parse((await deadLetters.get(second.id))!.body)).toEqual({ rows: ['second'] });
  });

  it('keeps a redelivered event one letter, with its latest failure', async () => {
    const deadLetters = await freshStore();
    const first = await park(deadLetters, 'chunk-8', { rows: ['same'] }, 'first failure');
    const again = await park(deadLetters, 'chunk-8', { rows: ['same'] }, 'second failure');
    expect(again).toEqual({ id: first.id, added: false });
    const letters = await deadLetters.list();
    expect(letters).toHaveLength(1);
    expect(letters[0]!.error).toContain('second failure');
  });

  it('keeps a letter whose event failed again while it was being replayed', async () => {
    const deadLetters = await freshStore();
    await park(deadLetters, 'chunk-9', { rows: ['poison'] }, 'first failure');
    const parked = (await deadLetters.list())[0]!;
    // The hub takes the event and, before the replay marks the letter, the event fails again.
    const failingAgain: EventPublisher = {
      partitionIds: () => aggregates.partitionIds(),
      publish: async (events) => {
        await aggregates.publish(events);
        await park(deadLetters, 'chunk-9', { rows: ['poison'] }, 'failed again after the replay');
      },
      close: async () => {},
    };
    const replay = replayDeadLetter(
      { deadLetters, publishers: new Map([['aggregates', failingAgain]]), manifest: store.manifest, clock: () => new Date() },
      parked.id,
    );
    await replay.catch(() => undefined);
    const letters = await deadLetters.list();
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ id: parked.id, replayedAt: null, error: expect.stringContaining('failed again after the replay') });
    await expect(replay).rejects.toMatchObject({ code: 'DEAD_LETTER_CHANGED' });

    // Replayed without a new failure, it is marked; failing after that, it is waiting again.
    const replayed = await replayDeadLetter(
      { deadLetters, publishers: new Map([['aggregates', aggregates]]), manifest: store.manifest, clock: () => new Date() },
      parked.id,
    );
    expect(replayed.replayedAt).not.toBeNull();
    expect(await deadLetters.list()).toHaveLength(0);
    expect(await park(deadLetters, 'chunk-9', { rows: ['poison'] }, 'third failure')).toEqual({ id: parked.id, added: true });
    expect(await deadLetters.list()).toMatchObject([{ id: parked.id, replayedAt: null, error: expect.stringContaining('third failure') }]);
  });

  it('lists and counts from names and metadata, reading only the letters of the page it returns', async () => {
    await freshStore();
    // The real container, with its letter downloads counted.
    let downloads = 0;
    const counted: DeadLetterContainerLike = {
      listBlobsFlat: (options) => container.listBlobsFlat(options),
      getBlockBlobClient: (name) => {
        const blob = container.getBlockBlobClient(name);
        return new Proxy(blob, {
          get: (target, property, receiver) =>
            property === 'download'
              ? (...args: Parameters<BlockBlobClient['download']>) => ((downloads += 1), target.download(...args))
              : Reflect.get(target, property, receiver),
        });
      },
    };
    const deadLetters = new BlobDeadLetterStore(counted);
    // Parked newest first, so that name order and age order disagree.
    const base = Date.parse('2026-11-20T10:00:00.000Z');
    for (let index = 0; index < 30; index += 1) {
      await deadLetters.add({
        id: `aggregate-letter-${String(index).padStart(2, '0')}`,
        stage: 'aggregate',
        source: 'aggregates',
        dataset: null,
        fileId: null,
        partitionKey: null,
        body: JSON.stringify({ index, pad: 'x'.repeat(10_000) }),
        properties: {},
        error: 'failed',
        attempts: 1,
        failedAt: new Date(base - index * 60_000).toISOString(),
      });
    }
    downloads = 0;
    const page = await deadLetters.list({ limit: 5 });
    expect(page.map((letter) => (JSON.parse(letter.body) as { index: number }).index)).toEqual([29, 28, 27, 26, 25]);
    expect(downloads).toBe(5);
    downloads = 0;
    expect((await deadLetters.counts()).waiting).toBe(30);
    expect((await new StatusService(store.manifest, deadLetters).summary()).deadLetters).toBe(30);
    expect(downloads).toBe(0);
  });
});
