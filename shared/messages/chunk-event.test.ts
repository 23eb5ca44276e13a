import { describe, expect, it } from 'vitest';
import { CHUNK_EVENT_TYPE, parseChunkEvent } from './chunk-event.js';
import { partitionIndexFor, stableHash } from './partition-routing.js';

const columns = (dataset: string) => (dataset === 'd' ? { columnCount: 2, version: 1 } : undefined);
const good = {
  type: CHUNK_EVENT_TYPE,
  v: 1,
  dataset: 'd',
  datasetVersion: 1,
  fileId: 'f',
  blobName: 'd/x.csv',
  chunkIndex: 0,
  rowNumbers: [1, 2],
  rows: [
    ['a', 'b'],
    ['c', 'd'],
  ],
};

describe('parseChunkEvent', () => {
  it('accepts a well-formed chunk', () => {
    expect(parseChunkEvent(good, columns)).toEqual(good);
  });

  it.each([
    ['a text body', 'hello', /not a chunk event/],
    ['another event type', { ...good, type: 'other' }, /type/],
    ['an unknown dataset', { ...good, dataset: 'nope' }, /unknown dataset 'nope'/],
    ['rows and row numbers of different length', { ...good, rowNumbers: [1] }, /2 rows but 1 row numbers/],
    ['a row with the wrong number of fields', { ...good, rows: [['a'], ['c', 'd']] }, /row 0 is not 2 text fields/],
    [
      'a row with a non-text field',
      {
        ...good,
        rows: [
          ['a', 3],
          ['c', 'd'],
        ],
      },
      /row 0/,
    ],
  ])('refuses %s with MALFORMED_EVENT', (_name, body, message) => {
    expect(() => parseChunkEvent(body, columns)).toThrow(message);
    try {
      parseChunkEvent(body, columns);
    } catch (error) {
      expect((error as { code: string }).code).toBe('MALFORMED_EVENT');
    }
  });

  it('refuses a chunk cut against another version of its dataset, naming both versions', () => {
    const call = () =>
      parseChunkEvent(
        {
          ...good,
          rows: [
            ['a', 'b', 'x'],
            ['c', 'd', 'y'],
          ],
        },
        () => ({ columnCount: 3, version: 2 }),
      );
    expect(call).toThrow(/chunk f\/0 was cut against version 1 of dataset 'd', which is declared as version 2 now/);
    expect(call).toThrow(expect.objectContaining({ code: 'STALE_DATASET_VERSION' }));
  });
});

describe('partition routing', () => {
  it('sends the same key to the same partition, and spreads keys over all partitions', () => {
    expect(partitionIndexFor('device-001', 4)).toBe(partitionIndexFor('device-001', 4));
    const used = new Set(Array.from({ length: 200 }, (_, index) => partitionIndexFor(`device-${index}`, 4)));
    expect(used).toEqual(new Set([0, 1, 2, 3]));
  });

  it('is FNV-1a (a fixed function: chunk routing must not change between versions)', () => {
    expect(stableHash('')).toBe(0x811c9dc5);
    expect(stableHash('a')).toBe(0xe40c292c);
  });
});
