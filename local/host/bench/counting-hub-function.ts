/** Benchmark fixture: an Event Hubs function that only counts what it receives. */
import { app, type EventHubFunctionOptions } from '@azure/functions';

const KEY = Symbol.for('scalable-etl.local-host.bench-counter');

export function receivedEvents(): number {
  return (globalThis as unknown as Record<symbol, number | undefined>)[KEY] ?? 0;
}

const options: EventHubFunctionOptions & { dataType: 'string' } = {
  connection: 'BENCH_EVENTHUB',
  eventHubName: 'bench',
  consumerGroup: '$Default',
  cardinality: 'many',
  dataType: 'string',
  handler: (events: unknown) => {
    const holder = globalThis as unknown as Record<symbol, number | undefined>;
    holder[KEY] = (holder[KEY] ?? 0) + (events as unknown[]).length;
  },
};
app.eventHub('countEvents', options);
