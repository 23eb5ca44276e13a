/**
 * Validation of the emulator's configuration file at the edge. Two shapes are accepted:
 * ours (`{ namespace?, eventHubs: [{ name, partitionCount, consumerGroups?, retention? }], … }`) and the
 * official emulator's `Config.json` (`{ UserConfig: { NamespaceConfig: [{ Type: "EventHub", Name,
 * Entities: [{ Name, PartitionCount, ConsumerGroups: [{ Name }] }] }] } }`), so a user can reuse theirs.
 * Errors name the bad field by its path in the file. Limits follow the service's documented ones:
 * 1–32 partitions, names of letters, digits, `.`, `-`, `_` starting and ending with a letter or digit.
 */
import { z } from 'zod';
import { EmulatorError } from '../emulator-error.js';
import type { EmulatorConfig } from './emulator-config.js';

const ENTITY_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,254}[A-Za-z0-9])?$/;
const NAME_RULE = 'must be 1–256 letters, digits, ".", "-" or "_", starting and ending with a letter or digit';

const entityName = z.string().regex(ENTITY_NAME, NAME_RULE);
const consumerGroupName = z.union([z.literal('$Default'), z.literal('$default'), entityName]);
const partitionCount = z.number().int('must be a whole number').min(1, 'must be at least 1').max(32, 'must be at most 32');

const ourHub = z.strictObject({
  name: entityName,
  partitionCount,
  consumerGroups: z.array(z.union([consumerGroupName, z.strictObject({ name: consumerGroupName })])).optional(),
  retention: z
    .strictObject({
      hours: z
        .number()
        .positive('must be positive')
        .max(24 * 90, 'must be at most 2160 (90 days)')
        .optional(),
      maxBytesPerPartition: z.number().int().min(1024, 'must be at least 1024').optional(),
    })
    .optional(),
});

const ourConfig = z.strictObject({
  namespace: entityName.optional(),
  eventHubs: z.array(ourHub).min(1, 'must declare at least one event hub'),
  sasKeys: z.record(z.string().min(1), z.string().min(1)).optional(),
  persistence: z
    .strictObject({
      sync: z.enum(['fsync', 'none']).optional(),
      segmentBytes: z.number().int().min(1024, 'must be at least 1024').optional(),
    })
    .optional(),
  limits: z
    .strictObject({
      maxConnections: z.number().int('must be a whole number').min(1, 'must be at least 1').optional(),
      maxLinksPerConnection: z.number().int('must be a whole number').min(1, 'must be at least 1').optional(),
      maxMemoryBytes: z
        .number()
        .int('must be a whole number')
        .min(1_048_576, 'must be at least 1048576 (one event of the largest size)')
        .optional(),
      maxUnreadBytesPerConnection: z
        .number()
        .int('must be a whole number')
        .min(1_048_576, 'must be at least 1048576 (one event of the largest size)')
        .optional(),
    })
    .optional(),
});

/** The official emulator writes PartitionCount as a string ("2"); numbers are accepted too. */
const officialPartitionCount = z
  .union([z.number(), z.string().regex(/^\d+$/).transform(Number)], { error: 'must be a whole number from 1 to 32' })
  .pipe(partitionCount);

const officialConfig = z.looseObject({
  UserConfig: z.looseObject({
    NamespaceConfig: z
      .array(
        z.looseObject({
          Type: z.string().optional(),
          Name: entityName.optional(),
          Entities: z.array(
            z.looseObject({
              Name: entityName,
              PartitionCount: officialPartitionCount,
              ConsumerGroups: z.array(z.looseObject({ Name: consumerGroupName })).optional(),
            }),
          ),
        }),
      )
      .min(1, 'must declare a namespace'),
  }),
});

function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.reduce<string>(
        (text, part) => (typeof part === 'number' ? `${text}[${part}]` : text ? `${text}.${String(part)}` : String(part)),
        '',
      );
      return `${path || '(root)'}: ${issue.message}`;
    })
    .join('; ');
}

function rejectDuplicates(config: EmulatorConfig, where: string): void {
  const seen = new Set<string>();
  config.eventHubs.forEach((hub, index) => {
    const key = hub.name.toLowerCase();
    if (seen.has(key)) {
      throw new EmulatorError(
        'INVALID_CONFIG',
        `Invalid emulator configuration (${where}): eventHubs[${index}].name: '${hub.name}' is declared twice (names ignore case)`,
      );
    }
    seen.add(key);
  });
}

/** Validates either shape and returns ours; throws EmulatorError('INVALID_CONFIG') naming the bad field. */
export function parseEmulatorConfig(input: unknown, source = 'config'): EmulatorConfig {
  if (input !== null && typeof input === 'object' && 'UserConfig' in input) {
    const parsed = officialConfig.safeParse(input);
    if (!parsed.success)
      throw new EmulatorError('INVALID_CONFIG', `Invalid emulator configuration (${source}): ${describeIssues(parsed.error)}`);
    const namespaces = parsed.data.UserConfig.NamespaceConfig.filter((namespace) => (namespace.Type ?? 'EventHub') === 'EventHub');
    const config: EmulatorConfig = {
      namespace: namespaces[0]?.Name,
      eventHubs: namespaces.flatMap((namespace) =>
        namespace.Entities.map((entity) => ({
          name: entity.Name,
          partitionCount: entity.PartitionCount,
          consumerGroups: (entity.ConsumerGroups ?? []).map((group) => group.Name),
        })),
      ),
    };
    if (config.eventHubs.length === 0) {
      throw new EmulatorError(
        'INVALID_CONFIG',
        `Invalid emulator configuration (${source}): UserConfig.NamespaceConfig: declares no event hub`,
      );
    }
    rejectDuplicates(config, source);
    return config;
  }
  const parsed = ourConfig.safeParse(input);
  if (!parsed.success)
    throw new EmulatorError('INVALID_CONFIG', `Invalid emulator configuration (${source}): ${describeIssues(parsed.error)}`);
  rejectDuplicates(parsed.data, source);
  return parsed.data;
}
