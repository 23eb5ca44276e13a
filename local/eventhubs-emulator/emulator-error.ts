/**
 * Errors the emulator raises on purpose. The emulator is a product of its own, so it has its own
 * error type and codes rather than the pipeline's `EtlError`; errors an SDK sees on the wire are AMQP
 * conditions instead (`amqp/amqp-conditions.ts`).
 */
export type EmulatorErrorCode =
  /** The configuration (hubs, TLS files, options) is missing or malformed; the message names the field. */
  | 'INVALID_CONFIG'
  /** Another emulator, in this process or another one still running, holds the data directory's lock. */
  | 'DATA_DIR_IN_USE';

export class EmulatorError extends Error {
  readonly code: EmulatorErrorCode;
  constructor(code: EmulatorErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EmulatorError';
    this.code = code;
  }
}

export function isEmulatorError(error: unknown, code?: EmulatorErrorCode): error is EmulatorError {
  return error instanceof EmulatorError && (code === undefined || error.code === code);
}
