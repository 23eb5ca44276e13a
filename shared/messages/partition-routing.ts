/**
 * Which partition a partition-key value goes to. Extract routes chunks itself (rather than letting
 * the service hash a key) so that it can group rows of many entities bound for one partition into
 * one event; all rows of one entity still land on one partition, in file order.
 */

/** 32-bit FNV-1a over the UTF-16 code units: stable across processes and versions. */
export function stableHash(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index += 1) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

export function partitionIndexFor(key: string, partitionCount: number): number {
  return stableHash(key) % partitionCount;
}
