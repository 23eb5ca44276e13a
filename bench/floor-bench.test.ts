import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateIotCsv } from '../load-tests/iot-csv-generator.js';
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
    // Small chunks, so the events spread over every partition and the loader commits several times.
    result = await measureFloor(join(directory, 'iot.csv'), directory, { partitions: 2, settings: { ETL_CHUNK_MAX_ROWS: '500', ETL_TRANSFORM_TRANSACTION_ROWS: '1000' } });
  });

  afterAll(async () => {
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  it('does the real work of every part on the generated file', () => {
    expect(result.rows).toBe(expected.rows);
    expect(result.validRows).toBe(expected.rows - expected.badRows);
    // Every chunk event went through the emulator and came back whole.
    expect(result.events.sent).toBe(Math.ceil(result.validRows / 500));
    expect(result.events.received).toBe(result.events.sent);
    expect(result.events.receivedBytes).toBe(result.events.bytes);
    // The pipeline's loader kept one fact per key.
    expect(result.loadedFacts).toBe(expected.distinctKeys);
  });

  it('reports the CPU of each part, with the service that served it', () => {
    expect(result.parts.map((part) => part.name)).toEqual([
      'storage (upload + download)',
      'read CSV',
      'validate',
      'event JSON out + in',
      'events through the emulator',
      'SQLite load',
    ]);
    for (const part of result.parts) expect(part.cpuSeconds).toBeGreaterThanOrEqual(0);
    const served = Object.fromEntries(result.parts.filter((part) => part.service).map((part) => [part.name, part.service!.name]));
    if (process.platform === 'linux') {
      expect(served).toEqual({ 'storage (upload + download)': 'azurite', 'events through the emulator': 'eventhubs' });
    }
    // Reading and loading 6,000 rows takes measurable CPU.
    expect(result.parts.find((part) => part.name === 'read CSV')!.cpuSeconds).toBeGreaterThan(0);
    expect(result.parts.find((part) => part.name === 'SQLite load')!.cpuSeconds).toBeGreaterThan(0);
  });
});
