/**
 * Which datasets exist: the built-in ones plus every `*.json` declaration in a folder
 * (`ETL_DATASETS_DIR`). Adding a dataset is adding a file; no pipeline code changes.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EtlError } from '../errors/etl-error.js';
import type { DatasetDeclaration } from './dataset-declaration.js';
import { parseDatasetDeclaration } from './dataset-schema.js';
import { iotEventsDataset } from './iot-events.js';

const BUILT_IN: readonly DatasetDeclaration[] = [iotEventsDataset];

/**
 * Loads the built-in datasets and, when `dir` is given, each `*.json` file in it (sorted by name,
 * so errors are reproducible). A name may be declared only once, built-ins included.
 *
 * @throws EtlError('INVALID_CONFIG') when `dir` cannot be read.
 * @throws EtlError('INVALID_DATASET') when a file is not JSON, is not a valid declaration, or
 *   reuses a dataset name. The message names the file and the field.
 */
export async function loadDatasets(dir?: string): Promise<ReadonlyMap<string, DatasetDeclaration>> {
  const datasets = new Map<string, DatasetDeclaration>();
  const sources = new Map<string, string>();
  const add = (dataset: DatasetDeclaration, source: string) => {
    const previous = sources.get(dataset.name);
    if (previous !== undefined) {
      throw new EtlError('INVALID_DATASET', `invalid dataset declaration in ${source}: name: '${dataset.name}' is already declared by ${previous}`);
    }
    datasets.set(dataset.name, dataset);
    sources.set(dataset.name, source);
  };
  for (const dataset of BUILT_IN) add(dataset, 'the built-in datasets');
  if (dir === undefined || dir === '') return datasets;

  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (error) {
    throw new EtlError('INVALID_CONFIG', `cannot read the datasets folder ${dir}: ${(error as Error).message}`, { cause: error });
  }
  for (const entry of entries.filter((name) => name.endsWith('.json')).sort()) {
    const path = join(dir, entry);
    const text = await readFile(path, 'utf8');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new EtlError('INVALID_DATASET', `invalid dataset declaration in ${path}: not JSON: ${(error as Error).message}`, { cause: error });
    }
    add(parseDatasetDeclaration(json, path), path);
  }
  return datasets;
}

/**
 * The dataset a landed blob belongs to: the first segment of its name (`iot_events/2026/a.csv` →
 * `iot_events`). A blob at the container root names no dataset.
 */
export function datasetForBlobName(
  datasets: ReadonlyMap<string, DatasetDeclaration>,
  blobName: string,
): DatasetDeclaration | undefined {
  const name = blobName.startsWith('/') ? blobName.slice(1) : blobName;
  const slash = name.indexOf('/');
  if (slash <= 0) return undefined;
  return datasets.get(name.slice(0, slash));
}
