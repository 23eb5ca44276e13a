import rhea from 'rhea';

const { types } = rhea;

/** Builds a $cbs / $management reply; status codes are written as AMQP int, which strict clients (Go, KEDA) require. */
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
    correlation_id: request.message_id,
    application_properties: properties,
    ...(body === undefined ? {} : { body }),
  };
}
