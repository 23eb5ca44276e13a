/**
 * Typed errors. Every error the pipeline raises on purpose is an `EtlError` with a code; `kind`
 * says whether the user can fix it (bad input, bad configuration) or the system should retry or
 * be looked at (a service down, a bug). Append codes here, with a comment, when a new one is needed.
 */
export type EtlErrorCode =
  /** A setting is missing or malformed (user). */
  | 'INVALID_CONFIG'
  /** A dataset declaration is malformed; the message names the field (user). */
  | 'INVALID_DATASET'
  /** A CSV file cannot be read as text at all, e.g. binary content (user). */
  | 'UNREADABLE_FILE'
  /** An event on a hub is not a message this pipeline understands (user or a foreign producer). */
  | 'MALFORMED_EVENT'
  /** A chunk was cut against another version of its dataset's declaration than the current one (user). */
  | 'STALE_DATASET_VERSION'
  /** A SQL call failed in a way that may pass on retry: throttling, failover, deadlock, lost connection (system). */
  | 'SQL_TRANSIENT'
  /** A SQL call failed for good (system). */
  | 'SQL_FAILED'
  /** Publishing events to Event Hubs failed after the SDK's own retries (system). */
  | 'PUBLISH_FAILED'
  /** A storage call failed (system). */
  | 'STORAGE_FAILED'
  /** A dead letter changed while it was being replayed: its event failed again and it stays waiting (system). */
  | 'DEAD_LETTER_CHANGED'
  /** Something that should not happen: a bug (system). */
  | 'INTERNAL';

const USER_CODES: ReadonlySet<EtlErrorCode> = new Set<EtlErrorCode>([
  'INVALID_CONFIG',
  'INVALID_DATASET',
  'UNREADABLE_FILE',
  'MALFORMED_EVENT',
  'STALE_DATASET_VERSION',
]);

export class EtlError extends Error {
  readonly code: EtlErrorCode;
  constructor(code: EtlErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EtlError';
    this.code = code;
  }

  /** 'user' errors are fixed by changing input or configuration; 'system' ones by retrying or a fix. */
  get kind(): 'user' | 'system' {
    return USER_CODES.has(this.code) ? 'user' : 'system';
  }

  /** Transient system errors are worth retrying with backoff. */
  get transient(): boolean {
    return this.code === 'SQL_TRANSIENT' || this.code === 'PUBLISH_FAILED' || this.code === 'STORAGE_FAILED';
  }
}

export function isEtlError(error: unknown, code?: EtlErrorCode): error is EtlError {
  return error instanceof EtlError && (code === undefined || error.code === code);
}
