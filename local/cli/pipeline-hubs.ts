/** The Event Hubs the pipeline uses, as the local emulator's configuration. */
import type { EmulatorConfig } from '../eventhubs-emulator/index.js';

export function pipelineEmulatorConfig(partitions: number): EmulatorConfig {
  return {
    namespace: 'localhost',
    eventHubs: [
      // `replay` lets a user (and the end-to-end test) re-read the records hub from the start.
      { name: 'records', partitionCount: partitions, consumerGroups: ['$default', 'transform', 'replay'] },
      { name: 'aggregates', partitionCount: partitions, consumerGroups: ['$default', 'aggregate'] },
    ],
  };
}
