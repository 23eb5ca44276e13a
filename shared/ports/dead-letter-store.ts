/**
 * Events a handler could not process after its retries. They are kept with their error so that
 * nothing is lost, listed by the CLI and status API, and replayed on request.
 * Adapters: `BlobDeadLetterStore` (default: works while the database is down).
 */
export type DeadLetterStage = 'extract' | 'transform' | 'aggregate';

export interface DeadLetter {
  readonly id: string;
  readonly stage: DeadLetterStage;
  /** Event Hub the event came from (absent for extract). */
  readonly source: string;
  readonly dataset: string | null;
  readonly fileId: string | null;
  readonly partitionKey: string | null;
  /** The event body, as JSON text, exactly as received. */
  readonly body: string;
  readonly properties: Readonly<Record<string, string | number | boolean>>;
  readonly error: string;
  readonly attempts: number;
  readonly failedAt: string;
  readonly replayedAt: string | null;
}

/** A letter as read, with the version of it that was read (a `markReplayed` condition). */
export interface StoredDeadLetter extends DeadLetter {
  readonly etag: string;
}

/** Where `add` put a letter. */
export interface ParkedLetter {
  /** The letter's id: the one asked for, or a derived one when that id holds a different letter. */
  readonly id: string;
  /**
   * True when the event was not waiting already: a new letter, or a replayed one parked again.
   * False when the same event was waiting under that id (a redelivery): its failure is updated.
   */
  readonly added: boolean;
}

export interface DeadLetterStore {
  /**
   * Never overwrites a different letter: the same event parked again under the same id (by
   * redelivery, or after a replay) stays one letter, updated to its latest failure; a different
   * event under that id is kept under a derived id.
   */
  add(letter: Omit<DeadLetter, 'replayedAt'>): Promise<ParkedLetter>;
  /** The `limit` (default 1,000) oldest letters by `failedAt`; reads no more letters than it returns. */
  list(options?: { stage?: DeadLetterStage; includeReplayed?: boolean; limit?: number }): Promise<readonly DeadLetter[]>;
  /** How many letters wait and how many were replayed, in one pass over the listing's metadata. */
  counts(options?: { stage?: DeadLetterStage }): Promise<{ waiting: number; replayed: number }>;
  get(id: string): Promise<StoredDeadLetter | undefined>;
  /**
   * Mark the letter replayed, only if it is still the version read (`letter.etag`): a letter that
   * failed again (or was removed) after it was read is left as it is (EtlError 'DEAD_LETTER_CHANGED').
   */
  markReplayed(letter: StoredDeadLetter, at: string): Promise<void>;
}
