/** `aggregate`: Event Hubs trigger on the `aggregates` hub, consumer group `aggregate`, in batches. */
import { app, type InvocationContext } from '@azure/functions';
import { aggregateBatch } from '../shared/handlers/aggregate-handler.js';
import { incomingEventsFromTrigger } from '../shared/handlers/incoming-event.js';
import { getEtlRuntime } from '../shared/runtime/etl-runtime.js';
import { loggerFor } from './invocation-logger.js';

export async function aggregateEvents(messages: unknown, context: InvocationContext): Promise<void> {
  const runtime = await getEtlRuntime();
  const bodies = Array.isArray(messages) ? messages : [messages];
  await aggregateBatch(runtime.aggregateDependencies(loggerFor(context)), incomingEventsFromTrigger(bodies, context.triggerMetadata));
}

app.eventHub('aggregate', {
  connection: 'ETL_EVENTHUB',
  eventHubName: '%ETL_AGGREGATES_HUB%',
  consumerGroup: '%ETL_AGGREGATE_CONSUMER_GROUP%',
  cardinality: 'many',
  dataType: 'string',
  handler: aggregateEvents,
});
