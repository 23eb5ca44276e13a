import rhea from 'rhea';

const { types } = rhea;

/**
 * The request's message id, written back as the reply's correlation id with its AMQP type. rhea
 * decodes ids to plain values, so the type is restored from them: a number was a ulong, a string a
 * string, 16 bytes a uuid, other bytes binary (a 16-byte binary id comes back as a uuid, the one case
 * the decoded value cannot tell apart; no Event Hubs client sends one).
 */
function correlationIdFor(messageId: unknown): unknown {
  if (typeof messageId === 'number') return types.wrap_ulong(messageId);
  if (Buffer.isBuffer(messageId)) return messageId.length === 16 ? types.wrap_uuid(messageId) : types.wrap_binary(messageId);
  return messageId;
}

/**
 * Builds a $cbs / $management reply: correlated to the request's message id, `status-code` as an
 * AMQP int (a bare number would go out as uint, which strict clients such as Go's refuse) and a
 * non-empty `status-description`, plus `error-condition` on failures.
 */
export function replyMessage(
  request: { message_id?: unknown },
  statusCode: number,
  description: string,
  body?: unknown,
  condition?: string,
): object {
  const properties: Record<string, unknown> = {
    'status-code': types.wrap_int(statusCode),
    'status-description': description,
  };
  if (condition) properties['error-condition'] = condition;
  return {
    correlation_id: correlationIdFor(request.message_id),
    application_properties: properties,
    ...(body === undefined ? {} : { body }),
  };
}
