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

export interface DeadLetterStore {
  add(letter: Omit<DeadLetter, 'replayedAt'>): Promise<void>;
  list(options?: { stage?: DeadLetterStage; includeReplayed?: boolean; limit?: number }): Promise<readonly DeadLetter[]>;
  get(id: string): Promise<DeadLetter | undefined>;
  markReplayed(id: string, at: string): Promise<void>;
}
