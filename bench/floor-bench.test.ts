import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateIotCsv } from '../local/sample-data/iot-csv-generator.js';
import { measureFloor, type FloorResult } from './floor-bench.js';

describe('the benchmark floor: each part of the run measured alone on the local services', () => {
  const rows = 6_000;
  let directory: string;
  let result: FloorResult;
  let expected: ReturnType<ReturnType<typeof generateIotCsv>['expected']>;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'etl-floor-'));
    const generated = generateIotCsv({ rows, seed: 5, duplicateRate: 0.02, badRowRate: 0.01 });
    await writeFile(join(directory, 'iot.csv'), [...generated.chunks].join(''));
    expected = generated.expected();
    // Small chunks and transactions, so the events spread over every partition and the loader commits several times.
    result = await measureFloor(join(directory, 'iot.csv'), directory, {
      partitions: 2,
      settings: { ETL_CHUNK_MAX_ROWS: '500', ETL_TRANSFORM_TRANSACTION_ROWS: '1000' },
    });
  });

  afterAll(async () => {
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  it('does the real work of every part on the generated file', () => {
    expect(result.rows).toBe(expected.rows);
    expect(result.validRows).toBe(expected.rows - expected.badRows);
    // 500-row chunks: every chunk event went through the emulator and came back whole.
    expect(result.events.sent).toBe(Math.ceil(result.validRows / 500));
    expect(result.events.received).toBe(result.events.sent);
    expect(result.events.receivedBytes).toBe(result.events.bytes);
    // Transactions of at most 1,000 rows, whole chunks, as transform plans them.
    expect(result.transactions).toBe(Math.ceil(result.validRows / 1000));
    // The pipeline's loader kept one fact per key.
    expect(result.loadedFacts).toBe(expected.distinctKeys);
  });

  it('reports the CPU of each part, with the service that served it', () => {
    expect(result.parts.map((part) => part.name)).toEqual([
      'storage: upload',
      'storage: download',
      'read CSV',
      'validate',
      'event JSON: encode',
      'event JSON: decode',
      'events through the emulator',
      'SQLite load',
    ]);
    const part = (name: string) => result.parts.find((candidate) => candidate.name === name)!;
    // Work on 6,000 rows takes measurable CPU in this process.
    for (const name of ['read CSV', 'event JSON: decode', 'SQLite load']) expect(part(name).cpuSeconds).toBeGreaterThan(0);
    if (process.platform === 'linux') {
      const served = Object.fromEntries(
        result.parts.filter((candidate) => candidate.service).map((candidate) => [candidate.name, candidate.service!.name]),
      );
      expect(served).toEqual({ 'storage: upload': 'azurite', 'storage: download': 'azurite', 'events through the emulator': 'eventhubs' });
      for (const name of Object.keys(served)) {
        // A part's CPU includes its service's (read from /proc in 10 ms ticks: on a file this small it may be 0).
        expect(part(name).cpuSeconds).toBeGreaterThanOrEqual(part(name).service!.cpuSeconds);
      }
    }
  });
});
