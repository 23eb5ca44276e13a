/**
 * `extractSweep`: every minute, put back the landing event of a file extract began and nobody
 * extracts any more (no heartbeat for `ETL_EXTRACT_STALLED_AFTER_SECONDS`); see docs/faults.md.
 */
import { app, type InvocationContext, type Timer } from '@azure/functions';
import { sweepStalledExtracts } from '../shared/handlers/extract-sweep.js';
import { getEtlRuntime } from '../shared/runtime/etl-runtime.js';
import { loggerFor } from './invocation-logger.js';

export async function sweepExtractsOnTimer(_timer: Timer, context: InvocationContext): Promise<void> {
  const runtime = await getEtlRuntime();
  await sweepStalledExtracts(runtime.extractSweepDependencies(loggerFor(context)), {
    stalledAfterMs: runtime.config.extractStalledAfterMs,
    limit: 1000,
  });
}

app.timer('extractSweep', { schedule: '0 * * * * *', handler: sweepExtractsOnTimer });
