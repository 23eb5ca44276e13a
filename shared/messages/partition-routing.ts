import { createHash } from 'node:crypto';

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

/**
 * Longest partition key the pipeline sends. Event Hubs documents no limit of its own; 128 is what
 * Azure's messaging SDKs document for Service Bus partition keys, and it stays well inside the
 * NVARCHAR(400) `partition_key` columns of the outbox and the dead letters.
 */
export const MAX_PARTITION_KEY_LENGTH = 128;

/**
 * The `aggregates` hub's partition key for a dimension key, so that partials of one dimension value
 * stay on one partition: the key itself, `(none)` for the empty key, and a SHA-256 of the key when
 * it is longer than MAX_PARTITION_KEY_LENGTH (a declaration allows dimension keys of 440 characters).
 */
export function aggregatesPartitionKey(dimensionKey: string): string {
  if (dimensionKey === '') return '(none)';
  if (dimensionKey.length <= MAX_PARTITION_KEY_LENGTH) return dimensionKey;
  return `sha256:${createHash('sha256').update(dimensionKey, 'utf8').digest('hex')}`;
}
