/** The Event Hubs the pipeline uses, as the local emulator's configuration. */
import type { EmulatorConfig } from '../eventhubs-emulator/index.js';
import { hubSettings, type EtlConfig } from '../../shared/config/etl-config.js';

/** A consumer group on the records hub for reading it again from the start (`npm run etl`, the tests). */
export const REPLAY_CONSUMER_GROUP = 'replay';

/** The hubs and consumer groups the app's settings name (their defaults unless given), each with `partitions` partitions. */
export function pipelineEmulatorConfig(partitions: number, hubs: EtlConfig['hubs'] = hubSettings()): EmulatorConfig {
  return {
    namespace: 'localhost',
    eventHubs: [
      { name: hubs.records, partitionCount: partitions, consumerGroups: ['$default', hubs.transformConsumerGroup, REPLAY_CONSUMER_GROUP] },
      { name: hubs.aggregates, partitionCount: partitions, consumerGroups: ['$default', hubs.aggregateConsumerGroup] },
    ],
  };
}
