import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { datasetForBlobName, loadDatasets } from './dataset-registry.js';

const folders: string[] = [];
async function folderWith(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'datasets-'));
  folders.push(dir);
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}
afterEach(async () => {
  for (const dir of folders.splice(0)) await rm(dir, { recursive: true, force: true });
});

const orders = {
  name: 'orders',
  columns: [
    { name: 'order_id', type: 'string', required: true },
    { name: 'placed_at', type: 'timestamp', required: true },
  ],
  key: ['order_id'],
  partitionKey: 'order_id',
  eventTime: 'placed_at',
};

describe('loadDatasets', () => {
  it('always has the built-in dataset', async () => {
    expect([...(await loadDatasets()).keys()]).toEqual(['iot_events']);
  });

  it('adds every JSON declaration of a folder and ignores other files', async () => {
    const dir = await folderWith({ 'orders.json': JSON.stringify(orders), 'README.md': '# not a dataset' });
    const datasets = await loadDatasets(dir);
    expect([...datasets.keys()].sort()).toEqual(['iot_events', 'orders']);
    expect(datasetForBlobName(datasets, 'orders/2026/01/a.csv')?.name).toBe('orders');
  });

  it('names the file and field of a bad declaration', async () => {
    const dir = await folderWith({ 'orders.json': JSON.stringify({ ...orders, partitionKey: 'shop' }) });
    await expect(loadDatasets(dir)).rejects.toMatchObject({
      code: 'INVALID_DATASET',
      message: expect.stringMatching(/orders\.json: partitionKey: 'shop' is not a declared column/),
    });
  });

  it('refuses a second declaration of a name, built-ins included', async () => {
    const dir = await folderWith({ 'mine.json': JSON.stringify({ ...orders, name: 'iot_events' }) });
    await expect(loadDatasets(dir)).rejects.toMatchObject({ code: 'INVALID_DATASET', message: expect.stringMatching(/already declared/) });
  });

  it('reports an unreadable folder as configuration', async () => {
    await expect(loadDatasets(join(tmpdir(), 'no-such-datasets-folder-xyz'))).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
  });
});

describe('datasetForBlobName', () => {
  it('uses the first path segment only', async () => {
    const datasets = await loadDatasets();
    expect(datasetForBlobName(datasets, 'iot_events/a.csv')?.name).toBe('iot_events');
    expect(datasetForBlobName(datasets, '/iot_events/x/y.csv')?.name).toBe('iot_events');
    expect(datasetForBlobName(datasets, 'iot_events.csv')).toBeUndefined();
    expect(datasetForBlobName(datasets, 'other/iot_events/a.csv')).toBeUndefined();
  });
});
