/**
 * Errors the local Functions host raises on purpose. The host runs any `@azure/functions` app, not
 * only this pipeline, so it has its own error type and codes rather than the app's `EtlError`.
 */
export type HostErrorCode =
  /** host.json, an app setting a binding names, or a function's trigger binding is missing or malformed. */
  | 'INVALID_CONFIG'
  /** An entry module is not an absolute path or file URL, or it throws while it loads. */
  | 'ENTRY_MODULE_FAILED'
  /** `@azure/functions` did not register the programming model the host drives: a version it does not know. */
  | 'UNSUPPORTED_FUNCTIONS_LIBRARY';

export class HostError extends Error {
  readonly code: HostErrorCode;
  constructor(code: HostErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HostError';
    this.code = code;
  }
}

export function isHostError(error: unknown, code?: HostErrorCode): error is HostError {
  return error instanceof HostError && (code === undefined || error.code === code);
}
