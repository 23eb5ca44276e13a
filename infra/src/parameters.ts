/**
 * Deployment parameters of both stacks: one readonly, defaulted object, validated once at the edge
 * (`resolveParameters`). Defaults come from the app's settings contract where the app has one
 * (hub and consumer-group names), so infra and app agree without a second copy.
 */
import { APP_SETTINGS } from '../../shared/config/app-settings.js';
import { EtlError } from '../../shared/errors/etl-error.js';

export interface EventHubsParameters {
  /** Standard: consumer groups and 32 partitions per hub (Basic allows one group only). */
  readonly sku: 'Standard' | 'Premium';
  /** Throughput units (Standard) or processing units (Premium). */
  readonly capacity: number;
  readonly recordsHub: string;
  readonly aggregatesHub: string;
  readonly recordsPartitions: number;
  readonly aggregatesPartitions: number;
  readonly transformConsumerGroup: string;
  readonly aggregateConsumerGroup: string;
  readonly messageRetentionDays: number;
}

export interface SqlParameters {
  /** GP_S_* is the serverless tier (auto-pause, billed per vCore-second). */
  readonly skuName: string;
  readonly minCapacityVcores: number;
  readonly autoPauseDelayMinutes: number;
  readonly maxSizeGb: number;
  readonly databaseName: string;
  /** Entra admin of the server; absent: the identity that runs the deploy. */
  readonly entraAdmin?: { readonly login: string; readonly objectId: string };
}

export interface FunctionsParameters {
  /** Flex Consumption instance size: 512, 2048 or 4096 MB. */
  readonly instanceMemoryMb: 512 | 2048 | 4096;
  /** Flex Consumption upper bound of instances (40–1000 in azurerm 4.55.0's schema, default 100). */
  readonly maximumInstanceCount: number;
  readonly nodeVersion: '20' | '22';
}

export interface AksParameters {
  readonly kubernetesVersion?: string;
  readonly nodeVmSize: string;
  readonly nodeMinCount: number;
  readonly nodeMaxCount: number;
  readonly namespace: string;
  /** Tag of the function app image in the stack's registry (`<acr>.azurecr.io/scalable-etl:<tag>`). */
  readonly imageTag: string;
}

/** KEDA knobs, applied to every ScaledObject; defaults match Functions scaling (docs/functions-host.md, "Scaling targets"). */
export interface KedaParameters {
  readonly unprocessedEventThreshold: number;
  readonly activationUnprocessedEventThreshold: number;
  /** azure-queue scaler target for the extract Deployment (messages per replica). */
  readonly queueLength: number;
  readonly pollingIntervalSeconds: number;
  readonly cooldownPeriodSeconds: number;
  readonly minReplicas: number;
  /** Absent: the partition count of the hub a Deployment consumes (more replicas would idle). */
  readonly maxReplicas?: number;
  /** Upper bound of extract replicas (queue-scaled; no partition bound applies). */
  readonly extractMaxReplicas: number;
  /** HPA scale-down stabilization; 180 s matches the Functions scale controller. */
  readonly scaleDownStabilizationSeconds: number;
}

export interface EtlInfraParameters {
  /** Short lower-case name prefix of every resource. */
  readonly prefix: string;
  readonly environment: string;
  readonly location: string;
  /** Makes globally unique names (storage, registry, SQL server, Event Hubs namespace) unique. */
  readonly uniqueSuffix: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly eventHubs: EventHubsParameters;
  readonly sql: SqlParameters;
  readonly functions: FunctionsParameters;
  readonly aks: AksParameters;
  readonly keda: KedaParameters;
}

/** A deep-partial override, as read from cdktf.json `context.etl` or given by a test. */
export type EtlInfraParameterOverrides = {
  readonly [K in keyof EtlInfraParameters]?: EtlInfraParameters[K] extends Readonly<Record<string, string>>
    ? EtlInfraParameters[K]
    : Partial<EtlInfraParameters[K]>;
};

export const DEFAULT_PARAMETERS: EtlInfraParameters = {
  prefix: 'etl',
  environment: 'dev',
  location: 'westeurope',
  uniqueSuffix: 'x1',
  tags: {},
  eventHubs: {
    sku: 'Standard',
    capacity: 1,
    recordsHub: APP_SETTINGS.ETL_RECORDS_HUB.default,
    aggregatesHub: APP_SETTINGS.ETL_AGGREGATES_HUB.default,
    recordsPartitions: 8,
    aggregatesPartitions: 4,
    transformConsumerGroup: APP_SETTINGS.ETL_TRANSFORM_CONSUMER_GROUP.default,
    aggregateConsumerGroup: APP_SETTINGS.ETL_AGGREGATE_CONSUMER_GROUP.default,
    messageRetentionDays: 1,
  },
  sql: {
    skuName: 'GP_S_Gen5_1',
    minCapacityVcores: 0.5,
    autoPauseDelayMinutes: 60,
    maxSizeGb: 32,
    databaseName: 'etl',
  },
  functions: { instanceMemoryMb: 2048, maximumInstanceCount: 100, nodeVersion: '22' },
  aks: { nodeVmSize: 'Standard_D4ds_v5', nodeMinCount: 1, nodeMaxCount: 3, namespace: 'etl', imageTag: 'latest' },
  keda: {
    unprocessedEventThreshold: 100,
    activationUnprocessedEventThreshold: 0,
    queueLength: 4,
    pollingIntervalSeconds: 30,
    cooldownPeriodSeconds: 300,
    minReplicas: 0,
    extractMaxReplicas: 10,
    scaleDownStabilizationSeconds: 180,
  },
};

/** Merges overrides over the defaults and validates the result; throws EtlError INVALID_CONFIG. */
export function resolveParameters(overrides: EtlInfraParameterOverrides = {}): EtlInfraParameters {
  const merged: EtlInfraParameters = {
    ...DEFAULT_PARAMETERS,
    ...pickDefined(overrides, ['prefix', 'environment', 'location', 'uniqueSuffix']),
    tags: { ...DEFAULT_PARAMETERS.tags, ...overrides.tags },
    eventHubs: { ...DEFAULT_PARAMETERS.eventHubs, ...overrides.eventHubs },
    sql: { ...DEFAULT_PARAMETERS.sql, ...overrides.sql },
    functions: { ...DEFAULT_PARAMETERS.functions, ...overrides.functions },
    aks: { ...DEFAULT_PARAMETERS.aks, ...overrides.aks },
    keda: { ...DEFAULT_PARAMETERS.keda, ...overrides.keda },
  };
  const problems = validate(merged);
  if (problems.length > 0) {
    throw new EtlError('INVALID_CONFIG', `invalid infra parameters: ${problems.join('; ')}`);
  }
  return merged;
}

function pickDefined<T extends object, K extends keyof T>(source: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const picked: Partial<Pick<T, K>> = {};
  for (const key of keys) {
    if (source[key] !== undefined) picked[key] = source[key];
  }
  return picked;
}

// Names end up in globally unique DNS names (storage accounts allow only [a-z0-9], 3–24 chars).
const SHORT_NAME = /^[a-z][a-z0-9]{1,7}$/;
// Event Hub and consumer-group names: KEDA lower-cases the group only, so keep both lower case (docs/functions-host.md).
const HUB_NAME = /^[a-z][a-z0-9-]{0,49}$/;

function validate(p: EtlInfraParameters): string[] {
  const problems: string[] = [];
  const check = (ok: boolean, message: string): void => {
    if (!ok) problems.push(message);
  };
  const intIn = (value: number, min: number, max: number): boolean => Number.isInteger(value) && value >= min && value <= max;

  check(SHORT_NAME.test(p.prefix), `prefix '${p.prefix}' must be 2–8 lower-case letters or digits`);
  check(SHORT_NAME.test(p.environment), `environment '${p.environment}' must be 2–8 lower-case letters or digits`);
  check(/^[a-z0-9]{1,6}$/.test(p.uniqueSuffix), `uniqueSuffix '${p.uniqueSuffix}' must be 1–6 lower-case letters or digits`);
  // st + prefix + environment + stack key (≤ 3) + suffix must fit a storage account name (24).
  check(
    p.prefix.length + p.environment.length + p.uniqueSuffix.length <= 19,
    'prefix, environment and uniqueSuffix together must have at most 19 characters (storage account names)',
  );
  check(/^[a-z0-9]+$/.test(p.location), `location '${p.location}' must be an Azure region name such as westeurope`);

  const hubs = p.eventHubs;
  // Standard tier: at most 32 partitions per hub (Premium/Dedicated allow more).
  const maxPartitions = hubs.sku === 'Standard' ? 32 : 100;
  check(intIn(hubs.recordsPartitions, 1, maxPartitions), `eventHubs.recordsPartitions must be 1–${maxPartitions}`);
  check(intIn(hubs.aggregatesPartitions, 1, maxPartitions), `eventHubs.aggregatesPartitions must be 1–${maxPartitions}`);
  check(intIn(hubs.capacity, 1, 40), 'eventHubs.capacity must be 1–40');
  check(intIn(hubs.messageRetentionDays, 1, 7), 'eventHubs.messageRetentionDays must be 1–7');
  for (const name of [hubs.recordsHub, hubs.aggregatesHub, hubs.transformConsumerGroup, hubs.aggregateConsumerGroup]) {
    check(HUB_NAME.test(name), `Event Hubs name '${name}' must be lower case (KEDA matches checkpoint blobs in lower case)`);
  }
  check(hubs.recordsHub !== hubs.aggregatesHub, 'eventHubs.recordsHub and aggregatesHub must differ');

  check(
    /^GP_S_Gen5_\d+$/.test(p.sql.skuName) || /^(Basic|S\d+|GP_Gen5_\d+)$/.test(p.sql.skuName),
    `sql.skuName '${p.sql.skuName}' is not a known SKU`,
  );
  check(p.sql.minCapacityVcores >= 0.5, 'sql.minCapacityVcores must be at least 0.5');
  check(p.sql.autoPauseDelayMinutes === -1 || p.sql.autoPauseDelayMinutes >= 15, 'sql.autoPauseDelayMinutes must be -1 (off) or ≥ 15');

  check([512, 2048, 4096].includes(p.functions.instanceMemoryMb), 'functions.instanceMemoryMb must be 512, 2048 or 4096');
  // The bounds azurerm 4.55.0 validates (maximum_instance_count: IntBetween(40, 1000)): refused here, before a plan.
  check(
    intIn(p.functions.maximumInstanceCount, 40, 1000),
    'functions.maximumInstanceCount must be 40–1000 (the azurerm provider refuses other values)',
  );

  check(
    intIn(p.aks.nodeMinCount, 1, 100) && intIn(p.aks.nodeMaxCount, p.aks.nodeMinCount, 100),
    'aks node counts must satisfy 1 ≤ min ≤ max ≤ 100',
  );
  check(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(p.aks.namespace), `aks.namespace '${p.aks.namespace}' is not a Kubernetes name`);

  const keda = p.keda;
  check(intIn(keda.unprocessedEventThreshold, 1, 1_000_000), 'keda.unprocessedEventThreshold must be a positive integer');
  check(intIn(keda.activationUnprocessedEventThreshold, 0, 1_000_000), 'keda.activationUnprocessedEventThreshold must be ≥ 0');
  check(intIn(keda.queueLength, 1, 10_000), 'keda.queueLength must be a positive integer');
  check(intIn(keda.pollingIntervalSeconds, 1, 3600), 'keda.pollingIntervalSeconds must be 1–3600');
  check(intIn(keda.cooldownPeriodSeconds, 0, 86_400), 'keda.cooldownPeriodSeconds must be 0–86400');
  check(intIn(keda.scaleDownStabilizationSeconds, 0, 3600), 'keda.scaleDownStabilizationSeconds must be 0–3600');
  check(intIn(keda.minReplicas, 0, 1000), 'keda.minReplicas must be ≥ 0');
  check(intIn(keda.extractMaxReplicas, Math.max(1, keda.minReplicas), 1000), 'keda.extractMaxReplicas must be ≥ max(1, minReplicas)');
  if (keda.maxReplicas !== undefined) {
    check(intIn(keda.maxReplicas, Math.max(1, keda.minReplicas), 1000), 'keda.maxReplicas must be ≥ max(1, minReplicas)');
  }
  return problems;
}
