/** Parameter resolution: defaults from the app's contract, overrides merged, bad values rejected. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { APP_SETTINGS } from '../../shared/config/app-settings.js';
import { isEtlError } from '../../shared/errors/etl-error.js';
import { resolveParameters, type EtlInfraParameterOverrides } from '../src/parameters.js';

describe('resolveParameters', () => {
  it('takes hub and consumer-group defaults from the app settings contract', () => {
    const p = resolveParameters();
    expect(p.eventHubs.recordsHub).toBe(APP_SETTINGS.ETL_RECORDS_HUB.default);
    expect(p.eventHubs.aggregatesHub).toBe(APP_SETTINGS.ETL_AGGREGATES_HUB.default);
    expect(p.eventHubs.transformConsumerGroup).toBe(APP_SETTINGS.ETL_TRANSFORM_CONSUMER_GROUP.default);
    expect(p.eventHubs.aggregateConsumerGroup).toBe(APP_SETTINGS.ETL_AGGREGATE_CONSUMER_GROUP.default);
  });

  it('defaults KEDA to the Functions scaling target of host.json, so both modes aim at the same lag per instance', () => {
    const hostJson = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'host.json'), 'utf8')) as {
      extensions: { eventHubs: { targetUnprocessedEventThreshold?: number; maxEventBatchSize?: number } };
    };
    const eventHubs = hostJson.extensions.eventHubs;
    // docs/functions-host.md: target = targetUnprocessedEventThreshold, else maxEventBatchSize (100).
    const functionsTarget = eventHubs.targetUnprocessedEventThreshold ?? eventHubs.maxEventBatchSize ?? 100;
    expect(resolveParameters().keda.unprocessedEventThreshold).toBe(functionsTarget);
  });

  it('merges nested overrides over the defaults', () => {
    const p = resolveParameters({ eventHubs: { recordsPartitions: 16 }, keda: { pollingIntervalSeconds: 5 } });
    expect(p.eventHubs.recordsPartitions).toBe(16);
    expect(p.eventHubs.aggregatesPartitions).toBe(resolveParameters().eventHubs.aggregatesPartitions);
    expect(p.keda.pollingIntervalSeconds).toBe(5);
    expect(p.keda.cooldownPeriodSeconds).toBe(300);
  });

  it('accepts the Flex instance bounds the provider accepts (40–1000)', () => {
    expect(resolveParameters({ functions: { maximumInstanceCount: 40 } }).functions.maximumInstanceCount).toBe(40);
    expect(resolveParameters({ functions: { maximumInstanceCount: 1000 } }).functions.maximumInstanceCount).toBe(1000);
  });

  it.each<[string, EtlInfraParameterOverrides]>([
    ['33 partitions on Standard', { eventHubs: { recordsPartitions: 33 } }],
    ['an upper-case hub name (KEDA lower-cases checkpoint paths)', { eventHubs: { recordsHub: 'Records' } }],
    ['the same name for both hubs', { eventHubs: { aggregatesHub: 'records' } }],
    ['a Flex instance size that does not exist', { functions: { instanceMemoryMb: 1024 as never } }],
    ['more than 1000 Flex instances', { functions: { maximumInstanceCount: 1001 } }],
    ['fewer than 40 Flex instances (the provider refuses them)', { functions: { maximumInstanceCount: 39 } }],
    ['min nodes above max nodes', { aks: { nodeMinCount: 4, nodeMaxCount: 2 } }],
    ['max replicas below min replicas', { keda: { minReplicas: 3, maxReplicas: 2 } }],
    ['a prefix with characters storage names forbid', { prefix: 'ETL_' }],
    ['a too short SQL auto-pause delay', { sql: { autoPauseDelayMinutes: 5 } }],
    ['name parts too long for a storage account name', { prefix: 'abcdefgh', environment: 'staging1', uniqueSuffix: 'xyz987' }],
  ])('rejects %s with INVALID_CONFIG', (_label, overrides) => {
    let caught: unknown;
    try {
      resolveParameters(overrides);
    } catch (error) {
      caught = error;
    }
    expect(isEtlError(caught, 'INVALID_CONFIG')).toBe(true);
  });
});
