import type { InvocationContext } from '@azure/functions';
import type { Logger } from '../shared/runtime/logger.js';

/** The handlers' logger over a Functions invocation context, so logs carry the invocation id. */
export function loggerFor(context: InvocationContext): Logger {
  return {
    info: (message, ...details) => context.log(message, ...details),
    warn: (message, ...details) => context.warn(message, ...details),
    error: (message, ...details) => context.error(message, ...details),
  };
}
