/**
 * A file whose landing event was lost while extract was in the middle of it completes on the running
 * stack, every row once: the extractSweep timer puts its event back once extract has given no
 * heartbeat for ETL_EXTRACT_STALLED_AFTER_SECONDS. The state is the one a kill of Azurite inside its
 * 5 s persistence window left in a fault-injection run (docs/fault-injection.md): the blob and the
 * scanner's receipt kept, the queue message gone, the manifest `extracting`, some chunks sent.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../local/cli/local-stack.js';
import { generateIotCsv } from '../../local/sample-data/iot-csv-generator.js';
import { waitFor } from '../../local/host/test/wait-for.js';
import { closeEtlRuntime, getEtlRuntime } from '../../shared/runtime/etl-runtime.js';
import { extractFile } from '../../shared/handlers/extract-handler.js';
import { silentLogger } from '../../shared/runtime/logger.js';
import { iotEventsDataset } from '../../shared/datasets/iot-events.js';
import { dyingRecordsHub } from '../../shared/handlers/test/handler-fixtures.js';

const BLOB = 'iot_events/stalled/lost-event.csv';
const STALLED_AFTER_SECONDS = 60;

describe('a file whose landing event was lost mid-extract', () => {
  let stateDir: string | undefined;
  let stack: LocalStack | undefined;

  afterAll(async () => {
    await stack?.close();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  it('is put back by the extract sweep and loads every row once', { timeout: 420_000 }, async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'etl-stalled-'));
    const csv = generateIotCsv({ rows: 2_000, seed: 7 });
    const expected = csv.expected();

    // Before the host runs: the blob lands and extract dies after sending 3 of its chunks.
    stack = await startLocalStack({ stateDir, ports: 'free', partitions: 2, functionsHost: false, log: () => {} });
    let runtime = await getEtlRuntime();
    const content = [...csv.chunks].join('');
    const blob = stack.blobService.getContainerClient('landing').getBlockBlobClient(BLOB);
    const uploaded = await blob.upload(content, Buffer.byteLength(content));
    const deps = {
      ...runtime.extractDependencies(silentLogger),
      chunk: { maxRows: 100, maxBytes: 100_000 },
      records: dyingRecordsHub(runtime.records, { failAfter: 3 }).hub,
    };
    await expect(extractFile(deps, { container: 'landing', blobName: BLOB })).rejects.toThrow(/died/);
    // The local Event Grid had delivered it: its receipt is done, and the message is gone with Azurite's last 5 s.
    const etag = uploaded.etag!.replace(/"/g, '');
    const receipts = stack.blobService.getContainerClient('azure-webjobs-hosts');
    await receipts.createIfNotExists();
    await receipts
      .getBlockBlobClient(`blobreceipts/scalable-etl-local/landing/${BLOB}/${etag}`)
      .upload('', 0, { metadata: { status: 'done' } });
    const [stalled] = await runtime.store.manifest.listFiles({ state: 'extracting' });
    expect(stalled?.blobName).toBe(BLOB);
    await closeEtlRuntime();
    await stack.close();

    // npm start again, on the same state: nothing delivers the file but the sweep.
    stack = await startLocalStack({
      stateDir,
      ports: 'free',
      partitions: 2,
      scanIntervalMs: 200,
      fastLoadBalancing: true,
      settings: { ETL_EXTRACT_STALLED_AFTER_SECONDS: String(STALLED_AFTER_SECONDS) },
      log: () => {},
    });
    runtime = await getEtlRuntime();
    const done = await waitFor(
      'the stalled file to complete',
      async () => {
        const file = await runtime.store.manifest.getFile(stalled!.fileId);
        return file?.state === 'complete' ? file : undefined;
      },
      // The stall time, the next minute's sweep, and the load.
      STALLED_AFTER_SECONDS * 1000 + 60_000 + 120_000,
      500,
    );
    expect(done).toMatchObject({
      totalRows: expected.rows,
      rejectedRows: expected.badRows,
      loadedRows: expected.distinctKeys,
      duplicateRows: expected.duplicateRows,
      chunksDeadLettered: 0,
    });
    expect(await runtime.store.query.countFacts(iotEventsDataset, { fileId: stalled!.fileId })).toBe(expected.distinctKeys);
    // The sweep put it back, not the scanner: nothing moved before the stall time had passed.
    expect(Date.parse(done.completedAt!) - Date.parse(stalled!.updatedAt)).toBeGreaterThanOrEqual(STALLED_AFTER_SECONDS * 1000);
  });
});
