/** `transform`: Event Hubs trigger on the `records` hub, consumer group `transform`, in batches. */
import { app, type EventHubFunctionOptions, type InvocationContext } from '@azure/functions';
import { transformBatch } from '../shared/handlers/transform-handler.js';
import { incomingEventsFromTrigger } from '../shared/handlers/incoming-event.js';
import { runtimeOrPark } from './runtime-or-park.js';
import { loggerFor } from './invocation-logger.js';

export async function transformEvents(messages: unknown, context: InvocationContext): Promise<void> {
  const bodies = Array.isArray(messages) ? messages : [messages];
  const events = incomingEventsFromTrigger(bodies, context.triggerMetadata);
  const started = await runtimeOrPark(events, 'transform', context);
  if (!started) return;
  await transformBatch(started.runtime.transformDependencies(loggerFor(context)), events, { budget: started.budget });
}

const options: EventHubFunctionOptions & { dataType: 'string' } = {
  connection: 'ETL_EVENTHUB',
  eventHubName: '%ETL_RECORDS_HUB%',
  consumerGroup: '%ETL_TRANSFORM_CONSUMER_GROUP%',
  cardinality: 'many',
  // Bodies as text: a non-JSON poison event must reach the handler (and the dead-letter store)
  // instead of failing the whole batch in the host's conversion.
  dataType: 'string',
  handler: transformEvents,
};

// `dataType` is passed through to the host as binding metadata; the library's types omit it.
app.eventHub('transform', options);
