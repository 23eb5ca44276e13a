/**
 * Link addresses the Event Hubs SDK attaches to, parsed. The `ConsumerGroups` and `Partitions` path
 * segments are matched case-insensitively, as the service does; names keep their case.
 */
export type EntityAddress =
  | { kind: 'cbs' }
  | { kind: 'management' }
  | { kind: 'hub'; hub: string }
  | { kind: 'partition'; hub: string; partitionId: string }
  | { kind: 'consumer'; hub: string; consumerGroup: string; partitionId: string };

export function parseEntityAddress(address: string | undefined): EntityAddress | undefined {
  if (!address) return undefined;
  // Some clients send a full URL; keep the path only.
  const path = address.replace(/^amqps?:\/\/[^/]+\//i, '').replace(/^\/+|\/+$/g, '');
  if (path === '$cbs') return { kind: 'cbs' };
  if (path === '$management') return { kind: 'management' };
  const parts = path.split('/');
  if (parts.some((part) => part.length === 0)) return undefined;
  if (parts.length === 1) return { kind: 'hub', hub: parts[0] };
  if (parts.length === 3 && parts[1].toLowerCase() === 'partitions') {
    return { kind: 'partition', hub: parts[0], partitionId: parts[2] };
  }
  if (parts.length === 5 && parts[1].toLowerCase() === 'consumergroups' && parts[3].toLowerCase() === 'partitions') {
    return { kind: 'consumer', hub: parts[0], consumerGroup: parts[2], partitionId: parts[4] };
  }
  return undefined;
}
