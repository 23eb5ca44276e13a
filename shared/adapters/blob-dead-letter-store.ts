/**
 * `DeadLetterStore` on blob storage: one JSON blob per dead letter, `<container>/<stage>/<id>.json`.
 * Blob storage rather than SQL so that events can be parked while the database is down.
 *
 * Every write is conditional (docs/faults.md, "Dead letters"): a letter is created with
 * `If-None-Match: *`, so a second park under the same id never overwrites a different letter, and
 * updated or marked replayed with `If-Match` on the ETag read, so a failure written in between wins.
 * Each blob's metadata names its event (`letter`: a hash of stage, source and body) and carries
 * `failedat` and `replayedat`, so that listing and counting read names and metadata only and
 * download just the letters of the page returned.
 */
import { createHash } from 'node:crypto';
import type { BlockBlobClient, ContainerClient } from '@azure/storage-blob';
import { EtlError } from '../errors/etl-error.js';
import { storageStatusOf, uploadJsonIf } from './conditional-json-blob.js';
import type { DeadLetter, DeadLetterStage, DeadLetterStore, ParkedLetter, StoredDeadLetter } from '../ports/dead-letter-store.js';

export type DeadLetterContainerLike = Pick<ContainerClient, 'getBlockBlobClient' | 'listBlobsFlat'>;

const STAGES: readonly DeadLetterStage[] = ['extract', 'transform', 'aggregate'];
/** Writes that lose a race to another writer of the same letter are tried again this often. */
const CONDITIONAL_WRITE_ATTEMPTS = 5;

/** Which event a letter holds: the same event parked twice is one letter. */
function eventHashOf(letter: Pick<DeadLetter, 'stage' | 'source' | 'body'>): string {
  return createHash('sha256').update(`${letter.stage}\n${letter.source}\n${letter.body}`).digest('hex').slice(0, 32);
}

interface ListedLetter {
  readonly name: string;
  readonly failedAt: string;
  readonly replayed: boolean;
}

function oldestFirst(a: ListedLetter, b: ListedLetter): number {
  return a.failedAt.localeCompare(b.failedAt) || a.name.localeCompare(b.name);
}

export class BlobDeadLetterStore implements DeadLetterStore {
  constructor(private readonly container: DeadLetterContainerLike) {}

  private blobName(stage: DeadLetterStage, id: string): string {
    return `${stage}/${encodeURIComponent(id)}.json`;
  }

  private blob(stage: DeadLetterStage, id: string): BlockBlobClient {
    return this.container.getBlockBlobClient(this.blobName(stage, id));
  }

  async add(input: Omit<DeadLetter, 'replayedAt'>): Promise<ParkedLetter> {
    const eventHash = eventHashOf(input);
    let id = input.id;
    try {
      for (let attempt = 1; attempt <= CONDITIONAL_WRITE_ATTEMPTS; attempt += 1) {
        const letter: DeadLetter = { ...input, id, replayedAt: null };
        if (await this.write(letter, eventHash, { ifNoneMatch: '*' })) return { id, added: true };
        const existing = await this.read(this.blobName(letter.stage, id));
        if (!existing) continue; // deleted in between: create it again
        if (eventHashOf(existing) !== eventHash) {
          // Another event holds this id: this one gets an id of its own, derived from its content.
          id = `${input.id}~${eventHash.slice(0, 16)}`;
          continue;
        }
        // The same event again: one letter, updated to this failure (and waiting again if it was replayed).
        if (await this.write(letter, eventHash, { ifMatch: existing.etag })) return { id, added: existing.replayedAt !== null };
      }
    } catch (error) {
      throw new EtlError('STORAGE_FAILED', `writing dead letter ${id} failed: ${(error as Error).message}`, { cause: error });
    }
    throw new EtlError(
      'STORAGE_FAILED',
      `writing dead letter ${id} failed: it changed under ${CONDITIONAL_WRITE_ATTEMPTS} attempts in a row`,
    );
  }

  async list(options: { stage?: DeadLetterStage; includeReplayed?: boolean; limit?: number } = {}): Promise<readonly DeadLetter[]> {
    const limit = options.limit ?? 1000;
    let page: ListedLetter[] = [];
    const keepOldest = () => (page = page.sort(oldestFirst).slice(0, limit));
    await this.eachListed(options, (listed) => {
      page.push(listed);
      // Bounded: names and dates of at most twice the page are held, however many letters there are.
      if (page.length >= 2 * limit) keepOldest();
    });
    const letters: DeadLetter[] = [];
    for (const listed of keepOldest()) {
      const letter = await this.read(listed.name);
      if (!letter || (letter.replayedAt && !options.includeReplayed)) continue; // replayed since it was listed
      const { etag: _etag, ...plain } = letter;
      letters.push(plain);
    }
    return letters;
  }

  async counts(options: { stage?: DeadLetterStage } = {}): Promise<{ waiting: number; replayed: number }> {
    let waiting = 0;
    let replayed = 0;
    // One listing for both: a letter without metadata is downloaded to count it, so not twice.
    await this.eachListed({ stage: options.stage, includeReplayed: true }, (listed) => {
      if (listed.replayed) replayed += 1;
      else waiting += 1;
    });
    return { waiting, replayed };
  }

  /** Every letter that `options` select, from the listing's names and metadata. */
  private async eachListed(
    options: { stage?: DeadLetterStage; includeReplayed?: boolean },
    visit: (listed: ListedLetter) => void,
  ): Promise<void> {
    try {
      for (const stage of options.stage ? [options.stage] : STAGES) {
        for await (const item of this.container.listBlobsFlat({ prefix: `${stage}/`, includeMetadata: true })) {
          let failedAt = item.metadata?.failedat;
          let replayedAt = item.metadata?.replayedat ?? null;
          if (failedAt === undefined) {
            // A letter written before letters carried metadata: read it once to know.
            const letter = await this.read(item.name);
            if (!letter) continue;
            ({ failedAt, replayedAt } = letter);
          }
          if (replayedAt && !options.includeReplayed) continue;
          visit({ name: item.name, failedAt, replayed: Boolean(replayedAt) });
        }
      }
    } catch (error) {
      if (error instanceof EtlError) throw error;
      throw new EtlError('STORAGE_FAILED', `listing dead letters failed: ${(error as Error).message}`, { cause: error });
    }
  }

  async get(id: string): Promise<StoredDeadLetter | undefined> {
    for (const stage of STAGES) {
      const letter = await this.read(this.blobName(stage, id));
      if (letter) return letter;
    }
    return undefined;
  }

  async markReplayed(letter: StoredDeadLetter, at: string): Promise<void> {
    // The letter as the caller read it: the write is conditional on its ETag, so reading it again
    // would only cost downloads; a version written since makes the condition fail either way.
    const { etag, ...plain } = letter;
    let written: boolean;
    try {
      written = await this.write({ ...plain, replayedAt: at }, eventHashOf(letter), { ifMatch: etag });
    } catch (error) {
      throw new EtlError('STORAGE_FAILED', `marking dead letter ${letter.id} replayed failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
    if (!written) {
      throw new EtlError(
        'DEAD_LETTER_CHANGED',
        `dead letter ${letter.id} changed after it was read for replay (its event failed again): it stays waiting, with its latest error`,
      );
    }
  }

  /** Upload under a condition; false when the condition does not hold (the blob exists, or changed). */
  private write(letter: DeadLetter, eventHash: string, conditions: { ifNoneMatch?: string; ifMatch?: string }): Promise<boolean> {
    const metadata: Record<string, string> = { letter: eventHash, failedat: letter.failedAt };
    if (letter.replayedAt) metadata.replayedat = letter.replayedAt;
    return uploadJsonIf(this.blob(letter.stage, letter.id), letter, conditions, metadata);
  }

  private async read(name: string): Promise<StoredDeadLetter | undefined> {
    try {
      const response = await this.container.getBlockBlobClient(name).download();
      const chunks: Buffer[] = [];
      for await (const chunk of response.readableStreamBody as AsyncIterable<Buffer>) chunks.push(chunk);
      return { ...(JSON.parse(Buffer.concat(chunks).toString('utf8')) as DeadLetter), etag: response.etag ?? '' };
    } catch (error) {
      if (storageStatusOf(error) === 404) return undefined;
      throw new EtlError('STORAGE_FAILED', `reading dead letter ${name} failed: ${(error as Error).message}`, { cause: error });
    }
  }
}
