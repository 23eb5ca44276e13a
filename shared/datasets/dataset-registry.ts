/**
 * Which datasets exist: the built-in ones plus every `*.json` declaration in a folder
 * (`ETL_DATASETS_DIR`). Adding a dataset is adding a file; no pipeline code changes.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EtlError } from '../errors/etl-error.js';
import type { DatasetDeclaration } from './dataset-declaration.js';
import { isDatasetName, parseDatasetDeclaration } from './dataset-schema.js';
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
      throw new EtlError(
        'INVALID_DATASET',
        `invalid dataset declaration in ${source}: name: '${dataset.name}' is already declared by ${previous}`,
      );
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
      throw new EtlError('INVALID_DATASET', `invalid dataset declaration in ${path}: not JSON: ${(error as Error).message}`, {
        cause: error,
      });
    }
    add(parseDatasetDeclaration(json, path), path);
  }
  return datasets;
}

/**
 * The first folder of a landed blob's name (`iot_events/2026/a.csv` → `iot_events`), which names
 * its dataset; undefined for a blob at the container root.
 */
export function landingFolderOf(blobName: string): string | undefined {
  const name = blobName.startsWith('/') ? blobName.slice(1) : blobName;
  const slash = name.indexOf('/');
  return slash <= 0 ? undefined : name.slice(0, slash);
}

/** The dataset a landed blob belongs to: the one its first folder names, if declared. */
export function datasetForBlobName(datasets: ReadonlyMap<string, DatasetDeclaration>, blobName: string): DatasetDeclaration | undefined {
  const folder = landingFolderOf(blobName);
  return folder === undefined ? undefined : datasets.get(folder);
}

/**
 * Why a landed blob has no dataset, for its manifest, and the name it is recorded under: its
 * folder when that could name a dataset, else '' (a longer or odd folder name would not fit the
 * manifest's dataset column, so it is checked here, before any SQL).
 */
export function undeclaredDatasetOf(
  datasets: ReadonlyMap<string, DatasetDeclaration>,
  blobName: string,
): { recordedAs: string; reason: string } {
  const known = [...datasets.keys()].join(', ');
  const folder = landingFolderOf(blobName);
  if (folder === undefined) {
    return { recordedAs: '', reason: `'${blobName}' is not in a dataset folder: upload it under <dataset>/ (known datasets: ${known})` };
  }
  if (!isDatasetName(folder)) {
    const shown = folder.length > 80 ? `${folder.slice(0, 80)}…' (${folder.length} characters)` : `${folder}'`;
    return {
      recordedAs: '',
      reason: `folder '${shown} cannot name a dataset (names are [a-z][a-z0-9_]{0,62}); known datasets: ${known}`,
    };
  }
  return { recordedAs: folder, reason: `no dataset '${folder}' for '${blobName}': the first folder must name a dataset (known: ${known})` };
}
