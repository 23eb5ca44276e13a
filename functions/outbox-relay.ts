/** `outboxRelay`: every 30 s, publish partial aggregates left in the outbox by a crash or failed publish. */
import { app, type InvocationContext, type Timer } from '@azure/functions';
import { relayOutbox } from '../shared/handlers/outbox-relay.js';
import { getEtlRuntime } from '../shared/runtime/etl-runtime.js';
import { loggerFor } from './invocation-logger.js';

export async function relayOutboxOnTimer(_timer: Timer, context: InvocationContext): Promise<void> {
  const runtime = await getEtlRuntime();
  await relayOutbox(
    { store: runtime.store, aggregates: runtime.aggregates, clock: runtime.clock, log: loggerFor(context), metrics: runtime.metrics },
    { minAgeMs: 30_000, limit: 1000 },
  );
}

app.timer('outboxRelay', { schedule: '*/30 * * * * *', handler: relayOutboxOnTimer });
