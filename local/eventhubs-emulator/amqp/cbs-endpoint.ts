import { audiencePath, verifySasToken } from '../core/sas-token.js';
import type { ConnectionState } from './connection-state.js';
import { replyMessage } from './request-reply.js';

export interface CbsRequest {
  message_id?: unknown;
  reply_to?: string;
  application_properties?: Record<string, unknown>;
  body?: unknown;
}

/**
 * Answers CBS `put-token` requests. Without configured keys every token is accepted, as the official
 * emulator does; with keys, SAS tokens must be signed by one of them and unexpired.
 */
export function handleCbsRequest(
  request: CbsRequest,
  state: ConnectionState,
  sasKeys: Readonly<Record<string, string>> | undefined,
  now: number,
): object {
  const properties = request.application_properties ?? {};
  if (properties.operation !== 'put-token') {
    return replyMessage(request, 400, `Unsupported CBS operation '${String(properties.operation)}'.`, undefined, 'amqp:not-implemented');
  }
  const audience = typeof properties.name === 'string' ? properties.name : '';
  const token = typeof request.body === 'string' ? request.body : '';
  if (sasKeys) {
    if (properties.type !== 'servicebus.windows.net:sastoken') {
      return replyMessage(request, 401, 'Only shared access signature tokens are accepted.', undefined, 'amqp:unauthorized-access');
    }
    const verdict = verifySasToken(token, sasKeys, now);
    if (!verdict.valid) return replyMessage(request, 401, verdict.reason, undefined, 'amqp:unauthorized-access');
    const granted = audiencePath(verdict.resource);
    const wanted = audiencePath(audience);
    if (!(wanted === granted || wanted.startsWith(`${granted}/`) || granted === '')) {
      return replyMessage(request, 401, `The token does not grant access to '${audience}'.`, undefined, 'amqp:unauthorized-access');
    }
  }
  state.authorizedPaths.add(audiencePath(audience));
  return replyMessage(request, 200, 'OK');
}

/** Whether a put-token on this connection covers `entityPath` (hub or a path below it). */
export function isAuthorized(state: ConnectionState, entityPath: string): boolean {
  const wanted = entityPath.toLowerCase();
  for (const path of state.authorizedPaths) {
    if (wanted === path || wanted.startsWith(`${path}/`) || path.startsWith(`${wanted}/`)) return true;
  }
  return false;
}
