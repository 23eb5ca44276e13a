/** AMQP error conditions the emulator answers with, chosen so the SDK raises the same errors as against Azure. */
export interface AmqpErrorInfo {
  condition: string;
  description: string;
}

export const Conditions = {
  notFound: 'amqp:not-found',
  internalError: 'amqp:internal-error',
  unauthorized: 'amqp:unauthorized-access',
  notImplemented: 'amqp:not-implemented',
  notAllowed: 'amqp:not-allowed',
  decodeError: 'amqp:decode-error',
  resourceLimitExceeded: 'amqp:resource-limit-exceeded',
  messageSizeExceeded: 'amqp:link:message-size-exceeded',
  linkStolen: 'amqp:link:stolen',
  framingError: 'amqp:connection:framing-error',
  argumentOutOfRange: 'com.microsoft:argument-out-of-range',
  argumentError: 'com.microsoft:argument-error',
  serverBusy: 'com.microsoft:server-busy',
} as const;

/** The text the SDK recognises as MessagingEntityNotFoundError. */
export function entityNotFound(entity: string): AmqpErrorInfo {
  return { condition: Conditions.notFound, description: `The messaging entity '${entity}' could not be found.` };
}
