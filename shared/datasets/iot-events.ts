/**
 * The built-in dataset: IoT sensor events (docs/datasets.md, "The built-in dataset"). It goes through the same
 * schema as user declarations, so it can never drift from the rules users are held to.
 */
import type { DatasetDeclaration } from './dataset-declaration.js';
import { parseDatasetDeclaration } from './dataset-schema.js';

export const IOT_DEVICE_TYPES = ['temperature', 'pressure', 'humidity', 'motion', 'light'] as const;
export const IOT_STATUSES = ['normal', 'warning', 'critical'] as const;

export const iotEventsDataset: DatasetDeclaration = parseDatasetDeclaration(
  {
    name: 'iot_events',
    version: 1,
    description: 'IoT sensor events: one row per reading of one device.',
    columns: [
      { name: 'event_id', type: 'uuid', required: true },
      { name: 'device_id', type: 'string', required: true, maxLength: 64, pattern: 'device-[0-9]{3,}' },
      { name: 'device_type', type: 'enum', required: true, values: [...IOT_DEVICE_TYPES] },
      { name: 'timestamp', type: 'timestamp', required: true },
      // Duration in milliseconds.
      { name: 'event_duration', type: 'number', required: true, min: 0 },
      { name: 'value', type: 'number', required: true },
      { name: 'status', type: 'enum', required: true, values: [...IOT_STATUSES] },
      { name: 'location', type: 'string' },
      { name: 'firmware', type: 'string' },
    ],
    key: ['event_id'],
    partitionKey: 'device_id',
    eventTime: 'timestamp',
    dimensions: ['device_type'],
    measures: ['event_duration', 'value'],
    quantileMeasures: ['event_duration'],
    windowMinutes: 1,
    report: { measure: 'event_duration', dimension: 'device_type', percentile: 0.95, sigma: 3, minDistinctEvents: 500 },
  },
  'shared/datasets/iot-events.ts',
);
