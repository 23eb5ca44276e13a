/** `aggregate`: Event Hubs trigger on the `aggregates` hub, consumer group `aggregate`, in batches. */
import { app, type EventHubFunctionOptions, type InvocationContext } from '@azure/functions';
import { aggregateBatch } from '../shared/handlers/aggregate-handler.js';
import { incomingEventsFromTrigger } from '../shared/handlers/incoming-event.js';
import { getEtlRuntime } from '../shared/runtime/etl-runtime.js';
import { loggerFor } from './invocation-logger.js';

export async function aggregateEvents(messages: unknown, context: InvocationContext): Promise<void> {
  const runtime = await getEtlRuntime();
  const bodies = Array.isArray(messages) ? messages : [messages];
  await aggregateBatch(runtime.aggregateDependencies(loggerFor(context)), incomingEventsFromTrigger(bodies, context.triggerMetadata));
}

const options: EventHubFunctionOptions & { dataType: 'string' } = {
  connection: 'ETL_EVENTHUB',
  eventHubName: '%ETL_AGGREGATES_HUB%',
  consumerGroup: '%ETL_AGGREGATE_CONSUMER_GROUP%',
  cardinality: 'many',
  dataType: 'string',
  handler: aggregateEvents,
};

// `dataType` is passed through to the host as binding metadata; the library's types omit it.
app.eventHub('aggregate', options);
