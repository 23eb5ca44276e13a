/** `aggregate`: Event Hubs trigger on the `aggregates` hub, consumer group `aggregate`, in batches. */
import { app, type EventHubFunctionOptions, type InvocationContext } from '@azure/functions';
import { aggregateBatch } from '../shared/handlers/aggregate-handler.js';
import { incomingEventsFromTrigger } from '../shared/handlers/incoming-event.js';
import { runtimeOrPark } from './runtime-or-park.js';
import { loggerFor } from './invocation-logger.js';

export async function aggregateEvents(messages: unknown, context: InvocationContext): Promise<void> {
  const bodies = Array.isArray(messages) ? messages : [messages];
  const events = incomingEventsFromTrigger(bodies, context.triggerMetadata);
  const started = await runtimeOrPark(events, 'aggregate', context);
  if (!started) return;
  await aggregateBatch(started.runtime.aggregateDependencies(loggerFor(context)), events, { budget: started.budget });
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
