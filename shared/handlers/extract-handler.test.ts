/**
 * Extract on bad and odd files, on the real services (Azurite, the emulator, SQLite) with the app's
 * own wiring: each file gets a clear outcome in its manifest, and every row is accounted for.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvocationContext } from '@azure/functions';
import { extractFromQueue } from '../../functions/extract.js';
import { StatusService } from '../status/status-service.js';
import { startLocalStack, type LocalStack } from '../../local/cli/local-stack.js';
import { IOT_CSV_HEADER } from '../../local/sample-data/iot-csv-generator.js';
import { getEtlRuntime, type EtlRuntime } from '../runtime/etl-runtime.js';
import { silentLogger } from '../runtime/logger.js';
import { rejectedBlobName } from '../adapters/blob-rejected-row-sink.js';
import { EtlError } from '../errors/etl-error.js';
import { dyingRecordsHub } from './test/handler-fixtures.js';
import { extractFile, landedBlobFromEvent, type ExtractDependencies } from './extract-handler.js';
import { transformBatch } from './transform-handler.js';

const GOOD_ROW = '6f1c1b2e-9a4b-4c1e-8f00-000000000001,device-001,temperature,2026-11-20T10:00:00Z,12.5,21.5,normal,lab,1.0.0';

describe('extract on bad and odd files', () => {
  let stateDir: string;
  let stack: LocalStack;
  let runtime: EtlRuntime;

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'etl-extract-'));
    stack = await startLocalStack({ stateDir, ports: 'free', functionsHost: false, partitions: 2, log: () => {} });
    runtime = await getEtlRuntime();
  }, 120_000);

  afterAll(async () => {
    await stack?.close();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  async function land(name: string, content: string | Buffer) {
    await stack.blobService.getContainerClient('landing').getBlockBlobClient(name).upload(content, Buffer.byteLength(content));
    const outcome = await extractFile(runtime.extractDependencies(silentLogger), { container: 'landing', blobName: name });
    const manifest = outcome.fileId ? await runtime.store.manifest.getFile(outcome.fileId) : undefined;
    return { outcome, manifest };
  }

  it('fails a file whose header does not match its dataset, naming the columns', async () => {
    const { outcome, manifest } = await land('iot_events/wrong-header.csv', `id,device,kind\n1,2,3\n`);
    expect(outcome.status).toBe('failed');
    expect(manifest?.state).toBe('failed');
    expect(manifest?.error).toMatch(/header/);
    expect(manifest?.error).toContain('event_id');
  });

  it('fails a binary file as unreadable instead of retrying it', async () => {
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff, 0xfe, 0x00, 0x10, 0x80, 0x81]);
    const { outcome, manifest } = await land('iot_events/picture.csv', bytes);
    expect(outcome.status).toBe('failed');
    expect(manifest?.state).toBe('failed');
    expect(manifest?.error?.length).toBeGreaterThan(0);
  });

  it('fails a file under a folder that names no dataset, listing the known ones', async () => {
    const { outcome, manifest } = await land('no_such_dataset/a.csv', `${IOT_CSV_HEADER}\n${GOOD_ROW}\n`);
    expect(outcome.status).toBe('failed');
    expect(manifest?.error).toContain('iot_events');
  });

  it('completes an empty file and a header-only file with zero rows', async () => {
    for (const [name, content] of [
      ['iot_events/empty.csv', ''],
      ['iot_events/header-only.csv', `${IOT_CSV_HEADER}\n`],
    ] as const) {
      const { outcome, manifest } = await land(name, content);
      expect(outcome).toMatchObject({ status: 'extracted', totalRows: 0, chunks: 0 });
      expect(manifest).toMatchObject({ state: 'complete', totalRows: 0, validRows: 0, rejectedRows: 0 });
    }
  });

  it('counts every row of a file full of problems as valid or rejected, with reasons', async () => {
    const lines = [
      IOT_CSV_HEADER,
      GOOD_ROW,
      GOOD_ROW.replace('temperature', 'toaster'), // bad enum
      GOOD_ROW.replace('12.5', '-3'), // negative duration
      GOOD_ROW.replace(',lab,1.0.0', ''), // too few columns
      '"unterminated,quote',
    ];
    const { outcome, manifest } = await land('iot_events/problems.csv', lines.join('\r\n') + '\r\n');
    expect(outcome).toMatchObject({ status: 'extracted', totalRows: 5, validRows: 1, rejectedRows: 4 });
    expect(manifest).toMatchObject({ totalRows: 5, validRows: 1, rejectedRows: 4, chunks: 1 });
    const rejected = await stack.blobService
      .getContainerClient('rejected')
      .getBlockBlobClient(rejectedBlobName('iot_events', outcome.fileId!))
      .downloadToBuffer();
    const reasons = rejected
      .toString('utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { rowNumber: number; reason: string });
    expect(reasons.map((row) => row.rowNumber)).toEqual([2, 3, 4, 5]);
    expect(reasons[0]!.reason).toContain('device_type');
    expect(reasons[1]!.reason).toContain('event_duration');
  });

  async function extractAndTransform(deps: ExtractDependencies, blobName: string, failAfter?: number, partitions?: number) {
    const { hub, chunks } = dyingRecordsHub(runtime.records, { failAfter, partitions });
    const outcome = await extractFile({ ...deps, records: hub }, { container: 'landing', blobName }).catch((error: Error) => error);
    await transformBatch(
      runtime.transformDependencies(silentLogger),
      chunks.map((body) => ({ body })),
    );
    return outcome;
  }

  it('cuts a retried file as its first attempt did, whatever the chunk settings and partitions are by then', async () => {
    for (const [file, blobName, first, sent, retry, retryPartitions] of [
      [1, 'iot_events/recut-larger.csv', { maxRows: 2, maxBytes: 100_000 }, 2, { maxRows: 5, maxBytes: 100_000 }, undefined],
      [2, 'iot_events/recut-smaller.csv', { maxRows: 6, maxBytes: 100_000 }, 1, { maxRows: 100, maxBytes: 250 }, undefined],
      [3, 'iot_events/recut-one-partition.csv', { maxRows: 3, maxBytes: 100_000 }, 1, { maxRows: 3, maxBytes: 100_000 }, 1],
    ] as const) {
      // Twelve devices, so that the rows spread over both partitions.
      const rows = Array.from({ length: 12 }, (_, row) =>
        GOOD_ROW.replace('8f00-000000000001', `8f00-${file}000000000${String(row).padStart(2, '0')}`).replace(
          'device-001',
          `device-${String(row).padStart(3, '0')}`,
        ),
      );
      const content = [IOT_CSV_HEADER, ...rows].join('\n') + '\n';
      await stack.blobService.getContainerClient('landing').getBlockBlobClient(blobName).upload(content, Buffer.byteLength(content));
      const deps = runtime.extractDependencies(silentLogger);
      // The first attempt sends some chunks, which transform loads, then dies; the retry runs with other limits or partitions.
      const crashed = await extractAndTransform({ ...deps, chunk: first }, blobName, sent);
      expect(crashed, blobName).toBeInstanceOf(EtlError);
      const outcome = await extractAndTransform({ ...deps, chunk: retry }, blobName, undefined, retryPartitions);
      expect(outcome, blobName).toMatchObject({ status: 'extracted', totalRows: 12, validRows: 12 });
      const manifest = await runtime.store.manifest.getFile((outcome as { fileId: string }).fileId);
      expect(manifest, blobName).toMatchObject({ state: 'complete', totalRows: 12, validRows: 12, loadedRows: 12, duplicateRows: 0 });
      expect(manifest!.chunksLoaded).toBe(manifest!.chunks);
      expect(await runtime.store.query.countFacts(runtime.datasets.get('iot_events')!, { fileId: manifest!.fileId })).toBe(12);
    }
  });

  it('extracts a file again when its rejected rows were lost after it was extracted, counting no row twice', async () => {
    const blobName = 'iot_events/lost-rejects.csv';
    const rows = [1, 2, 3].map((row) => GOOD_ROW.replace('8f00-000000000001', `8f00-90000000000${row}`));
    const content = [IOT_CSV_HEADER, ...rows, GOOD_ROW.replace('temperature', 'toaster')].join('\n') + '\n';
    await stack.blobService.getContainerClient('landing').getBlockBlobClient(blobName).upload(content, Buffer.byteLength(content));
    const deps = runtime.extractDependencies(silentLogger);
    const first = await extractAndTransform(deps, blobName);
    expect(first).toMatchObject({ status: 'extracted', validRows: 3, rejectedRows: 1 });
    const fileId = (first as { fileId: string }).fileId;
    expect(await extractAndTransform(deps, blobName)).toMatchObject({ status: 'skipped', reason: 'already extracted' });

    // Storage loses the rejected rows after acknowledging them (Azurite killed inside its save interval).
    const rejects = stack.blobService.getContainerClient('rejected').getBlockBlobClient(rejectedBlobName('iot_events', fileId));
    await rejects.delete();
    expect(await extractAndTransform(deps, blobName)).toMatchObject({ status: 'extracted', validRows: 3, rejectedRows: 1 });
    expect((await rejects.downloadToBuffer()).toString('utf8')).toContain('toaster');
    expect(await runtime.store.manifest.getFile(fileId)).toMatchObject({
      state: 'complete',
      loadedRows: 3,
      duplicateRows: 0,
      rejectedRows: 1,
    });
    expect(await runtime.store.query.countFacts(runtime.datasets.get('iot_events')!, { fileId })).toBe(3);
  });

  it('fails a retried file whose dataset declaration changed since its first attempt, saying why', async () => {
    const blobName = 'iot_events/redeclared.csv';
    const content = `${IOT_CSV_HEADER}\n${GOOD_ROW.replace('8f00-000000000001', '8f00-200000000001')}\n`;
    await stack.blobService.getContainerClient('landing').getBlockBlobClient(blobName).upload(content, Buffer.byteLength(content));
    const deps = runtime.extractDependencies(silentLogger);
    await expect(extractAndTransform(deps, blobName, 0)).resolves.toBeInstanceOf(EtlError);
    const iot = runtime.datasets.get('iot_events')!;
    const outcome = await extractAndTransform({ ...deps, datasets: new Map([[iot.name, { ...iot, version: iot.version + 1 }]]) }, blobName);
    expect(outcome).toMatchObject({
      status: 'failed',
      reason: expect.stringMatching(/declaration of dataset 'iot_events' changed \(version 1 → 2\)/),
    });
    expect(await runtime.store.manifest.getFile((outcome as { fileId: string }).fileId)).toMatchObject({ state: 'failed' });
  });

  it("refuses blob names with '.', '..' or empty segments before reading anything, with the reason in the manifest", async () => {
    const content = `${IOT_CSV_HEADER}\n${GOOD_ROW.replace('8f00-000000000001', '8f00-300000000001')}\n`;
    await stack.blobService
      .getContainerClient('landing')
      .getBlockBlobClient('iot_events/target.csv')
      .upload(content, Buffer.byteLength(content));
    // Each of these names reaches iot_events/target.csv (or another blob) once a storage client resolves it.
    for (const blobName of [
      'iot_events/../iot_events/target.csv',
      'iot_events/./target.csv',
      'iot_events//target.csv',
      'iot_events/sub/../target.csv',
    ]) {
      const outcome = await extractFile(runtime.extractDependencies(silentLogger), { container: 'landing', blobName });
      expect(outcome, blobName).toMatchObject({
        status: 'failed',
        reason: expect.stringContaining("has an empty, '.' or '..' path segment"),
      });
      expect(await runtime.store.manifest.getFile(outcome.fileId!)).toMatchObject({
        state: 'failed',
        blobName,
        dataset: 'iot_events',
        totalRows: 0,
      });
    }
  });

  it('shows a landed file that is not CSV in the status API as failed, with the reason', async () => {
    const blobName = 'iot_events/readme.txt';
    await stack.blobService.getContainerClient('landing').getBlockBlobClient(blobName).upload('notes', 5);
    const event = { eventType: 'Microsoft.Storage.BlobCreated', subject: `/blobServices/default/containers/landing/blobs/${blobName}` };
    await extractFromQueue(JSON.stringify(event), new InvocationContext({ functionName: 'extract' }));
    const files = await new StatusService(runtime.store.manifest, runtime.deadLetters).files({ state: 'failed', limit: 1000 });
    expect(files.find((file) => file.blobName === blobName)).toMatchObject({
      state: 'failed',
      error: expect.stringContaining('is not a .csv file'),
    });
  });

  it('reads the BlobCreated events Event Grid delivers, and refuses other events', () => {
    expect(
      landedBlobFromEvent({
        eventType: 'Microsoft.Storage.BlobCreated',
        subject: '/blobServices/default/containers/landing/blobs/iot_events/a b.csv',
      }),
    ).toEqual({ container: 'landing', blobName: 'iot_events/a b.csv' });
    expect(() =>
      landedBlobFromEvent({ eventType: 'Microsoft.Storage.BlobDeleted', subject: '/blobServices/default/containers/landing/blobs/x.csv' }),
    ).toThrow(/BlobCreated/);
    expect(() => landedBlobFromEvent('garbage')).toThrow(/BlobCreated/);
  });
});
