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
  const [hub, second, third, fourth, fifth, ...more] = parts;
  if (hub === undefined || more.length > 0) return undefined;
  if (second === undefined) return { kind: 'hub', hub };
  if (third !== undefined && fourth === undefined && second.toLowerCase() === 'partitions') {
    return { kind: 'partition', hub, partitionId: third };
  }
  if (third !== undefined && fifth !== undefined && second.toLowerCase() === 'consumergroups' && fourth?.toLowerCase() === 'partitions') {
    return { kind: 'consumer', hub, consumerGroup: third, partitionId: fifth };
  }
  return undefined;
}
