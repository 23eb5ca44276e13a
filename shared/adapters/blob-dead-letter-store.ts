/**
 * `DeadLetterStore` on blob storage: one JSON blob per dead letter, `<container>/<stage>/<id>.json`.
 * Blob storage rather than SQL so that events can be parked while the database is down.
 */
import type { ContainerClient } from '@azure/storage-blob';
import { EtlError } from '../errors/etl-error.js';
import type { DeadLetter, DeadLetterStage, DeadLetterStore } from '../ports/dead-letter-store.js';

export type DeadLetterContainerLike = Pick<ContainerClient, 'getBlockBlobClient' | 'listBlobsFlat'>;

const STAGES: readonly DeadLetterStage[] = ['extract', 'transform', 'aggregate'];

export class BlobDeadLetterStore implements DeadLetterStore {
  constructor(private readonly container: DeadLetterContainerLike) {}

  private blobName(stage: DeadLetterStage, id: string): string {
    return `${stage}/${encodeURIComponent(id)}.json`;
  }

  async add(letter: Omit<DeadLetter, 'replayedAt'>): Promise<void> {
    const text = JSON.stringify({ ...letter, replayedAt: null });
    try {
      await this.container.getBlockBlobClient(this.blobName(letter.stage, letter.id)).upload(text, Buffer.byteLength(text), {
        blobHTTPHeaders: { blobContentType: 'application/json' },
      });
    } catch (error) {
      throw new EtlError('STORAGE_FAILED', `writing dead letter ${letter.id} failed: ${(error as Error).message}`, { cause: error });
    }
  }

  async list(options: { stage?: DeadLetterStage; includeReplayed?: boolean; limit?: number } = {}): Promise<readonly DeadLetter[]> {
    const limit = options.limit ?? 1000;
    const letters: DeadLetter[] = [];
    for (const stage of options.stage ? [options.stage] : STAGES) {
      for await (const item of this.container.listBlobsFlat({ prefix: `${stage}/` })) {
        const letter = await this.readBlob(item.name);
        if (!letter || (letter.replayedAt && !options.includeReplayed)) continue;
        letters.push(letter);
        if (letters.length >= limit) return letters;
      }
    }
    return letters.sort((a, b) => a.failedAt.localeCompare(b.failedAt));
  }

  async get(id: string): Promise<DeadLetter | undefined> {
    for (const stage of STAGES) {
      const letter = await this.readBlob(this.blobName(stage, id));
      if (letter) return letter;
    }
    return undefined;
  }

  async markReplayed(id: string, at: string): Promise<void> {
    const letter = await this.get(id);
    if (!letter) throw new EtlError('INTERNAL', `no dead letter with id ${id}`);
    const text = JSON.stringify({ ...letter, replayedAt: at });
    await this.container.getBlockBlobClient(this.blobName(letter.stage, id)).upload(text, Buffer.byteLength(text));
  }

  private async readBlob(name: string): Promise<DeadLetter | undefined> {
    try {
      const buffer = await this.container.getBlockBlobClient(name).downloadToBuffer();
      return JSON.parse(buffer.toString('utf8')) as DeadLetter;
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw new EtlError('STORAGE_FAILED', `reading dead letter ${name} failed: ${(error as Error).message}`, { cause: error });
    }
  }
}
