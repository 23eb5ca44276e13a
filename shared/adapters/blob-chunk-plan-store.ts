/**
 * `ChunkPlanStore` on blob storage: `<container>/<dataset>/<fileId>.plan.json`, beside the file's
 * rejected rows. Written create-only (`If-None-Match: *`), so of two attempts racing on one file
 * exactly one plan wins and both follow it; blob storage rather than SQL keeps the schema as it is.
 */
import type { ContainerClient } from '@azure/storage-blob';
import { EtlError } from '../errors/etl-error.js';
import { uploadJsonIf } from './conditional-json-blob.js';
import type { ChunkPlan, ChunkPlanStore } from '../ports/chunk-plan-store.js';

export type PlanContainerLike = Pick<ContainerClient, 'getBlockBlobClient'>;

export function chunkPlanBlobName(dataset: string, fileId: string): string {
  return `${dataset}/${fileId}.plan.json`;
}

export class BlobChunkPlanStore implements ChunkPlanStore {
  constructor(private readonly container: PlanContainerLike) {}

  async pin(file: { readonly dataset: string; readonly fileId: string }, plan: ChunkPlan): Promise<ChunkPlan> {
    const blob = this.container.getBlockBlobClient(chunkPlanBlobName(file.dataset, file.fileId));
    let pinned: boolean;
    try {
      pinned = await uploadJsonIf(blob, plan, { ifNoneMatch: '*' });
    } catch (error) {
      throw new EtlError('STORAGE_FAILED', `writing the chunk plan of file ${file.fileId} failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
    if (pinned) return plan;
    // An earlier attempt pinned a plan: follow it.
    try {
      return JSON.parse((await blob.downloadToBuffer()).toString('utf8')) as ChunkPlan;
    } catch (error) {
      throw new EtlError('STORAGE_FAILED', `reading the chunk plan of file ${file.fileId} failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
}
