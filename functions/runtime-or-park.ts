/**
 * The runtime for an Event Hubs batch, or — when it cannot be built (the database is down at a
 * cold start) — every event of the batch parked in the dead-letter container. The host checkpoints
 * after the batch whatever happens, so throwing here would lose the events.
 */
import type { InvocationContext } from '@azure/functions';
import { loadEtlConfig } from '../shared/config/etl-config.js';
import { createBlobServiceClient } from '../shared/adapters/azure-clients.js';
import { BlobDeadLetterStore } from '../shared/adapters/blob-dead-letter-store.js';
import { parkEvent } from '../shared/handlers/dead-lettering.js';
import type { IncomingEvent } from '../shared/handlers/incoming-event.js';
import type { DeadLetterStage } from '../shared/ports/dead-letter-store.js';
import { getEtlRuntime, type EtlRuntime } from '../shared/runtime/etl-runtime.js';
import { RetriesExhaustedError, RetryBudget } from '../shared/runtime/retry.js';
import { loggerFor } from './invocation-logger.js';

/** The runtime, and the invocation's retry budget (building the runtime drew on it too). */
export interface InvocationStart {
  readonly runtime: EtlRuntime;
  readonly budget: RetryBudget;
}

export async function runtimeOrPark(
  events: readonly IncomingEvent[],
  stage: Extract<DeadLetterStage, 'transform' | 'aggregate'>,
  context: InvocationContext,
): Promise<InvocationStart | undefined> {
  const log = loggerFor(context);
  const config = loadEtlConfig(process.env);
  const budget = new RetryBudget(config.retry);
  try {
    const runtime = await budget.run(
      () => getEtlRuntime(),
      (error, attempt, delay) =>
        log.warn(`${stage}: the runtime is unavailable (attempt ${attempt}: ${(error as Error).message}); retrying in ${delay} ms`),
    );
    return { runtime, budget };
  } catch (error) {
    const cause = error instanceof RetriesExhaustedError ? error.lastError : error;
    const attempts = error instanceof RetriesExhaustedError ? error.attempts : 1;
    const deadLetters = new BlobDeadLetterStore(
      (await createBlobServiceClient(config.storage)).getContainerClient(config.containers.deadLetters),
    );
    const source = stage === 'transform' ? config.hubs.records : config.hubs.aggregates;
    const at = new Date().toISOString();
    for (const event of events) {
      await parkEvent(deadLetters, log, {
        stage,
        source,
        event,
        error: new Error(`the pipeline could not start: ${(cause as Error).message}`),
        attempts,
        at,
      });
    }
    return undefined;
  }
}
