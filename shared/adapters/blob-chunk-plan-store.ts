/**
 * `ChunkPlanStore` on blob storage: `<container>/<dataset>/<fileId>.plan.json`, beside the file's
 * rejected rows. Written create-only (`If-None-Match: *`), so of two attempts racing on one file
 * exactly one plan wins and both follow it; blob storage rather than SQL keeps the schema as it is.
 */
import type { ContainerClient } from '@azure/storage-blob';
import { EtlError } from '../errors/etl-error.js';
import type { ChunkPlan, ChunkPlanStore } from '../ports/chunk-plan-store.js';

export type PlanContainerLike = Pick<ContainerClient, 'getBlockBlobClient'>;

export function chunkPlanBlobName(dataset: string, fileId: string): string {
  return `${dataset}/${fileId}.plan.json`;
}

export class BlobChunkPlanStore implements ChunkPlanStore {
  constructor(private readonly container: PlanContainerLike) {}

  async pin(file: { readonly dataset: string; readonly fileId: string }, plan: ChunkPlan): Promise<ChunkPlan> {
    const blob = this.container.getBlockBlobClient(chunkPlanBlobName(file.dataset, file.fileId));
    const text = JSON.stringify(plan);
    try {
      await blob.upload(text, Buffer.byteLength(text), {
        blobHTTPHeaders: { blobContentType: 'application/json' },
        conditions: { ifNoneMatch: '*' },
      });
      return plan;
    } catch (error) {
      const status = (error as { statusCode?: number }).statusCode;
      // 409: an earlier attempt pinned a plan (412 is what some versions answer for the same).
      if (status !== 409 && status !== 412) {
        throw new EtlError('STORAGE_FAILED', `writing the chunk plan of file ${file.fileId} failed: ${(error as Error).message}`, {
          cause: error,
        });
      }
    }
    try {
      return JSON.parse((await blob.downloadToBuffer()).toString('utf8')) as ChunkPlan;
    } catch (error) {
      throw new EtlError('STORAGE_FAILED', `reading the chunk plan of file ${file.fileId} failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
}
