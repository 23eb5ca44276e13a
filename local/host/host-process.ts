/**
 * One local functions host as its own process, so several can share Event Hubs partitions and
 * queue messages the way scaled-out instances do in Azure:
 *
 *   tsx local/host/host-process.ts --entry functions/index.ts [--entry …] [--host-json host.json]
 *     [--http-port 0] [--host-id id] [--instance-id id] [--functions a,b]
 *     [--landing-container landing --landing-queue landing-events --scan-interval-ms 1000]
 *     [--lb-interval-ms 10000 --ownership-expiry-ms 60000] [--shutdown-timeout-ms 60000]
 *     [--blob-scan-interval-ms 1000] [--queue-visibility-seconds 600]
 *
 * Settings (connections) come from the environment. When ready it prints one JSON line
 * `{"event":"ready","pid":…,"httpUrl":…,"functions":[…]}` (and sends it over IPC when there is a
 * channel); on SIGTERM or SIGINT it finishes invocations in flight, closes its listeners, prints
 * `{"event":"stopped","stats":…}` and exits 0. If that takes longer than the shutdown timeout, or
 * a second signal comes, it exits 1 at once (what was in flight is redelivered).
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { startLocalFunctionsHost, type LocalFunctionsHost, type LocalFunctionsHostOptions } from './local-functions-host.js';

function numberOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0) throw new Error(`--${name} must be a non-negative number, got "${value}"`);
  return parsed;
}

function positiveOption(value: string | undefined, name: string): number | undefined {
  const parsed = numberOption(value, name);
  if (parsed === 0) throw new Error(`--${name} must be above 0`);
  return parsed;
}

function announce(message: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
  process.send?.(message);
}

/** The command line of a host process. */
const HOST_PROCESS_ARGS = {
  entry: { type: 'string', multiple: true },
  'host-json': { type: 'string' },
  'http-port': { type: 'string' },
  'host-id': { type: 'string' },
  'instance-id': { type: 'string' },
  functions: { type: 'string' },
  'landing-container': { type: 'string' },
  'landing-queue': { type: 'string' },
  'scan-interval-ms': { type: 'string' },
  'lb-interval-ms': { type: 'string' },
  'ownership-expiry-ms': { type: 'string' },
  'shutdown-timeout-ms': { type: 'string' },
  'blob-scan-interval-ms': { type: 'string' },
  'queue-visibility-seconds': { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

async function main(): Promise<void> {
  const { options, shutdownTimeoutMs } = await hostOptionsFromArgs();

  // A stray rejection in a handler's background work must not take the whole host down unseen.
  process.on('unhandledRejection', (reason) => process.stderr.write(`[host ${process.pid}] unhandled rejection: ${String(reason)}\n`));

  const host = await startLocalFunctionsHost(options);
  announce({ event: 'ready', pid: process.pid, httpUrl: host.httpUrl, functions: host.functions });
  stopOnSignals(host, shutdownTimeoutMs);
}

async function hostOptionsFromArgs(): Promise<{ options: LocalFunctionsHostOptions; shutdownTimeoutMs: number }> {
  const { values } = parseArgs({ options: HOST_PROCESS_ARGS, strict: true });
  const entries = (values.entry ?? []).map((entry) => resolve(entry));
  if (entries.length === 0) throw new Error('Give at least one --entry module.');
  const hostJsonPath = values['host-json'];
  const hostJson =
    hostJsonPath === undefined ? undefined : (JSON.parse(await readFile(resolve(hostJsonPath), 'utf8')) as Record<string, unknown>);
  const landingContainer = values['landing-container'];
  const options: LocalFunctionsHostOptions = {
    entryModules: entries,
    hostJson,
    hostId: values['host-id'],
    instanceId: values['instance-id'],
    httpPort: numberOption(values['http-port'], 'http-port'),
    functions: values.functions
      ?.split(',')
      .map((name) => name.trim())
      .filter((name) => name.length > 0),
    landingScan:
      landingContainer === undefined
        ? false
        : {
            container: landingContainer,
            queue: values['landing-queue'] ?? 'landing-events',
            intervalMs: numberOption(values['scan-interval-ms'], 'scan-interval-ms') ?? 1000,
          },
    blobs: { scanIntervalMs: numberOption(values['blob-scan-interval-ms'], 'blob-scan-interval-ms') },
    queues: { processingVisibilitySeconds: positiveOption(values['queue-visibility-seconds'], 'queue-visibility-seconds') },
    eventHubs: {
      loadBalancingUpdateIntervalMs: numberOption(values['lb-interval-ms'], 'lb-interval-ms'),
      partitionOwnershipExpirationIntervalMs: numberOption(values['ownership-expiry-ms'], 'ownership-expiry-ms'),
    },
    log: (level, message) => {
      if (level === 'debug' || level === 'trace') return;
      process.stderr.write(`${new Date().toISOString()} [host ${process.pid}] ${level} ${message}\n`);
    },
  };
  return { options, shutdownTimeoutMs: numberOption(values['shutdown-timeout-ms'], 'shutdown-timeout-ms') ?? 60_000 };
}

/** SIGTERM, SIGINT or the parent gone: finish what is in flight and exit 0; a second signal or the timeout exits 1 at once. */
function stopOnSignals(host: LocalFunctionsHost, shutdownTimeoutMs: number): void {
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) {
      // A second signal means "now": leave the in-flight work to redelivery.
      process.stderr.write(`[host ${process.pid}] ${signal} again: exiting without waiting\n`);
      process.exit(1);
    }
    stopping = true;
    process.stderr.write(`[host ${process.pid}] ${signal}: finishing invocations in flight\n`);
    // Like the platform's grace period: a handler that never returns must not keep the process forever.
    setTimeout(() => {
      process.stderr.write(`[host ${process.pid}] shutdown took longer than ${shutdownTimeoutMs} ms: exiting\n`);
      process.exit(1);
    }, shutdownTimeoutMs).unref();
    host
      .close()
      .then(() => {
        announce({ event: 'stopped', pid: process.pid, stats: host.stats() });
        process.exit(0);
      })
      .catch((error: unknown) => {
        process.stderr.write(`[host ${process.pid}] shutdown failed: ${String(error)}\n`);
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('disconnect', () => stop('parent disconnected'));
}

main().catch((error: unknown) => {
  process.stderr.write(
    `[host ${process.pid}] failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
