/**
 * `extract`: a Storage-queue trigger on `landing-events`, where the landing container's Event Grid
 * subscription (locally: the host's landing scanner) puts a `BlobCreated` event per uploaded file.
 * A queue trigger rather than a blob trigger because the Node blob trigger hands the handler the
 * whole blob in memory; here the handler streams it. A throw makes the host retry the message,
 * and after 5 dequeues it goes to `landing-events-poison` (on the last, extract fails the file first).
 */
import { app, type InvocationContext } from '@azure/functions';
import { LANDING_EVENTS_QUEUE, LANDING_MAX_DEQUEUE_COUNT } from '../shared/config/app-settings.js';
import { extractFile, landedBlobFromEvent } from '../shared/handlers/extract-handler.js';
import { getEtlRuntime } from '../shared/runtime/etl-runtime.js';
import { loggerFor } from './invocation-logger.js';

export async function extractFromQueue(message: unknown, context: InvocationContext): Promise<void> {
  const runtime = await getEtlRuntime();
  const log = loggerFor(context);
  const blob = landedBlobFromEvent(typeof message === 'string' ? JSON.parse(message) : message);
  if (blob.container !== runtime.config.containers.landing) {
    log.warn(`extract: ignoring ${blob.container}/${blob.blobName}: not in the landing container '${runtime.config.containers.landing}'`);
    return;
  }
  // Any other blob (not .csv, or a name with '.' or '..' segments) fails in extractFile with its reason.
  const dequeueCount = Number(context.triggerMetadata?.dequeueCount ?? 1);
  await extractFile(runtime.extractDependencies(log), blob, { last: dequeueCount >= LANDING_MAX_DEQUEUE_COUNT });
}

app.storageQueue('extract', {
  queueName: LANDING_EVENTS_QUEUE,
  connection: 'AzureWebJobsStorage',
  handler: extractFromQueue,
});
