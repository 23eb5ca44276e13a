/**
 * Blob trigger paths (`container/{folder}/{name}.csv`): the container, the listing prefix, and a
 * matcher that returns the path's tokens for a blob name, as binding data.
 */
import { HostError } from '../host-error.js';

export interface BlobPathPattern {
  readonly container: string;
  /** The literal part before the first token: what to list. */
  readonly prefix: string;
  /** Token values for a matching blob name, undefined for one that does not match. */
  match(blobName: string): Record<string, string> | undefined;
}

export function parseBlobPathPattern(path: string): BlobPathPattern {
  const slash = path.indexOf('/');
  const container = slash < 0 ? path : path.slice(0, slash);
  const rest = slash < 0 ? '' : path.slice(slash + 1);
  if (container === '' || /[{}]/.test(container)) {
    throw new HostError('INVALID_CONFIG', `Blob trigger path "${path}" must start with a literal container name.`);
  }
  const tokens: string[] = [];
  let source = '';
  let index = 0;
  for (const match of rest.matchAll(/\{([A-Za-z_][\w]*)\}/g)) {
    source += escape(rest.slice(index, match.index));
    tokens.push(match[1] as string);
    source += '(.+?)';
    index = (match.index ?? 0) + match[0].length;
  }
  source += escape(rest.slice(index));
  // No pattern at all means every blob of the container.
  const regex = new RegExp(`^${rest === '' ? '(?:.+)' : source}$`);
  const firstToken = rest.indexOf('{');
  return {
    container,
    prefix: firstToken < 0 ? rest : rest.slice(0, firstToken),
    match(blobName) {
      const found = regex.exec(blobName);
      if (!found) return undefined;
      const values: Record<string, string> = {};
      tokens.forEach((token, position) => (values[token] = found[position + 1] as string));
      return values;
    },
  };
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
