/** Fixtures shared by the handler tests: IoT chunk events and a store whose database "fails". */
import { iotEventsDataset } from '../../datasets/iot-events.js';
import { EtlError } from '../../errors/etl-error.js';
import { CHUNK_EVENT_TYPE, type ChunkEvent } from '../../messages/chunk-event.js';
import type { EtlStore } from '../../ports/etl-store.js';
import type { EventPublisher } from '../../ports/event-publisher.js';

const dataset = iotEventsDataset;

/** A chunk of valid IoT rows, one per key; keys spread over two device types and three minutes. */
export function iotChunkEvent(fileId: string, chunkIndex: number, keys: readonly number[]): ChunkEvent {
  return {
    type: CHUNK_EVENT_TYPE,
    v: 1,
    dataset: dataset.name,
    datasetVersion: dataset.version,
    fileId,
    blobName: `${dataset.name}/${fileId}.csv`,
    chunkIndex,
    rowNumbers: keys.map((_, index) => chunkIndex * 100_000 + index + 1),
    rows: keys.map((key) => [
      `00000000-0000-4000-8000-${String(key).padStart(12, '0')}`,
      `device-${String(key % 5).padStart(3, '0')}`,
      key % 2 === 0 ? 'pressure' : 'light',
      `2026-11-21T08:1${key % 3}:00Z`,
      String(key),
      '1.5',
      'normal',
      '',
      '',
    ]),
  };
}

export function keyRange(first: number, count: number): number[] {
  return Array.from({ length: count }, (_, index) => first + index);
}

/**
 * `loadChunk` and `loadChunks` fail with a transient SQL error while `state.failures` is above zero
 * (Infinity: a database that is down), then pass through; `state.calls` counts attempts.
 */
export function flakyStore(store: EtlStore, state: { failures: number; calls?: number }): EtlStore {
  const attempt = <T>(call: () => Promise<T>): Promise<T> => {
    state.calls = (state.calls ?? 0) + 1;
    if (state.failures > 0) {
      state.failures -= 1;
      return Promise.reject(new EtlError('SQL_TRANSIENT', 'database unavailable (error 40613)'));
    }
    return call();
  };
  // Listed one by one: the store's parts are accessors, which a spread would not copy.
  return {
    outbox: store.outbox,
    manifest: store.manifest,
    windows: store.windows,
    report: store.report,
    query: store.query,
    migrate: (datasets) => store.migrate(datasets),
    close: () => store.close(),
    facts: {
      loadChunk: (input, build) => attempt(() => store.facts.loadChunk(input, build)),
      loadChunks: (inputs, build) => attempt(() => store.facts.loadChunks(inputs, build)),
    },
  };
}

/**
 * A records hub in front of the real one, as an extract process sees it: it keeps a copy of every
 * chunk it took (extract reuses a chunk's buffer once it is sent), "dies" after `failAfter` chunks,
 * waits `delayMs` before each, and with `partitions` offers only the first few of the hub's
 * partitions, as a hub with fewer would.
 */
export function dyingRecordsHub(
  records: EventPublisher,
  options: { readonly failAfter?: number; readonly delayMs?: number; readonly partitions?: number } = {},
): { hub: EventPublisher; chunks: unknown[] } {
  const chunks: unknown[] = [];
  const hub: EventPublisher = {
    partitionIds: async () => (await records.partitionIds()).slice(0, options.partitions),
    publish: async (events) => {
      if (chunks.length >= (options.failAfter ?? Infinity)) throw new EtlError('PUBLISH_FAILED', 'the extract process died');
      if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
      for (const event of events) chunks.push(JSON.parse(Buffer.from(event.body as Uint8Array).toString('utf8')));
      await records.publish(events);
    },
    close: async () => {},
  };
  return { hub, chunks };
}
