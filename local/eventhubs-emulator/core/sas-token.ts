import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Shared access signatures as Event Hubs checks them:
 * `SharedAccessSignature sr=<url-encoded resource>&sig=<url-encoded base64 HMAC-SHA256>&se=<expiry s>&skn=<key name>`,
 * where the signature covers `<url-encoded resource>\n<expiry>` with the named key.
 */
export type SasVerdict = { valid: true; resource: string } | { valid: false; reason: string };

export function verifySasToken(token: string, keys: Readonly<Record<string, string>>, nowMs: number): SasVerdict {
  const prefix = 'SharedAccessSignature ';
  if (!token.startsWith(prefix)) return { valid: false, reason: 'The token is not a shared access signature.' };
  const fields = new Map<string, string>();
  for (const pair of token.slice(prefix.length).split('&')) {
    const at = pair.indexOf('=');
    if (at > 0) fields.set(pair.slice(0, at), pair.slice(at + 1));
  }
  const encodedResource = fields.get('sr');
  const signature = fields.get('sig');
  const expiry = fields.get('se');
  const keyName = fields.get('skn');
  if (!encodedResource || !signature || !expiry || !keyName) {
    return { valid: false, reason: 'The token lacks one of sr, sig, se, skn.' };
  }
  const key = keys[keyName];
  if (key === undefined) return { valid: false, reason: `Unknown shared access key name '${keyName}'.` };
  if (!/^\d+$/.test(expiry) || Number(expiry) * 1000 <= nowMs) return { valid: false, reason: 'The token has expired.' };
  const expected = createHmac('sha256', key).update(`${encodedResource}\n${expiry}`).digest();
  let given: Buffer;
  try {
    given = Buffer.from(decodeURIComponent(signature), 'base64');
  } catch {
    return { valid: false, reason: 'The token signature is malformed.' };
  }
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { valid: false, reason: 'The token signature does not match.' };
  }
  return { valid: true, resource: decodeURIComponent(encodedResource) };
}

/** `sb://host/a/b` → `a/b`, lower case: the path a token or audience grants. */
export function audiencePath(audience: string): string {
  return audience
    .replace(/^[a-z]+:\/\/[^/]+\/?/i, '')
    .replace(/\/+$/, '')
    .toLowerCase();
}
