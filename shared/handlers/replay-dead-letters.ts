/**
 * Replay: put dead-lettered events back on the hub they came from, so the normal path processes
 * them again (the ledgers make that safe even if some of them were applied after all).
 */
import { EtlError } from '../errors/etl-error.js';
import type { DeadLetter, DeadLetterStore } from '../ports/dead-letter-store.js';
import type { EventPublisher } from '../ports/event-publisher.js';
import type { ManifestStore } from '../ports/etl-store.js';

export interface ReplayDependencies {
  readonly deadLetters: DeadLetterStore;
  /** Publisher per hub name. */
  readonly publishers: ReadonlyMap<string, EventPublisher>;
  readonly manifest: ManifestStore;
  readonly clock: () => Date;
}

function bodyOf(letter: DeadLetter): unknown {
  try {
    return JSON.parse(letter.body) as unknown;
  } catch {
    return letter.body; // a non-JSON poison event goes back as the text it was
  }
}

export async function replayDeadLetter(deps: ReplayDependencies, id: string): Promise<DeadLetter> {
  const letter = await deps.deadLetters.get(id);
  if (!letter) throw new EtlError('INTERNAL', `no dead letter with id '${id}'`);
  if (letter.replayedAt) throw new EtlError('INTERNAL', `dead letter '${id}' was already replayed at ${letter.replayedAt}`);
  const publisher = deps.publishers.get(letter.source);
  if (!publisher) throw new EtlError('INTERNAL', `dead letter '${id}' came from '${letter.source}', which cannot be replayed to`);
  await publisher.publish([
    { body: bodyOf(letter), partitionKey: letter.partitionKey ?? undefined, properties: { ...letter.properties, replayOf: id } },
  ]);
  const at = deps.clock().toISOString();
  // On the version read before publishing: if the event failed again meanwhile, that letter stays.
  await deps.deadLetters.markReplayed(letter, at);
  if (letter.fileId && letter.stage === 'transform') {
    // The count was raised best effort (not while the database was down), so lower it only if it was.
    const file = await deps.manifest.getFile(letter.fileId);
    if (file && file.chunksDeadLettered > 0) await deps.manifest.addDeadLetteredChunks(letter.fileId, -1, at);
  }
  const { etag: _etag, ...replayed } = letter;
  return { ...replayed, replayedAt: at };
}
