import type { DeadLetter } from '../ports/dead-letter-store.js';

/** The named parameters of a dead-letter upsert, the same for SQLite and T-SQL. */
export function deadLetterParameters(letter: Omit<DeadLetter, 'replayedAt'>): Record<string, string | number | null> {
  return {
    id: letter.id,
    stage: letter.stage,
    source: letter.source,
    dataset: letter.dataset,
    fileId: letter.fileId,
    partitionKey: letter.partitionKey,
    body: letter.body,
    properties: JSON.stringify(letter.properties),
    error: letter.error,
    attempts: letter.attempts,
    failedAt: letter.failedAt,
  };
}
