/**
 * The local Event Hubs emulator: an AMQP 1.0 server the unmodified `@azure/event-hubs` SDK talks to.
 * `startEventHubsEmulator` is the one entry point for tests, the local runtime and the CLI.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EmulatorMetrics } from './broker/emulator-metrics.js';
import { EventHubBroker } from './broker/event-hub-broker.js';
import { startMetricsServer, type MetricsServer } from './metrics/metrics-http-server.js';
import { AmqpServer, type TlsListenerOptions } from './amqp/amqp-server.js';
import { EmulatorError } from './emulator-error.js';
import { parseEmulatorConfig } from './config/config-schema.js';
import { normalizeConfig, type EmulatorConfig, type NormalizedConfig } from './config/emulator-config.js';
import { lockDataDir } from './storage/data-dir-lock.js';
import { FilePartitionLog } from './storage/file-partition-log.js';
import { MemoryPartitionLog } from './storage/memory-partition-log.js';
import type { PartitionLog } from './storage/partition-log.js';

export type { EmulatorConfig, EventHubConfig } from './config/emulator-config.js';
export { parseEmulatorConfig } from './config/config-schema.js';
export { EmulatorError, isEmulatorError, type EmulatorErrorCode } from './emulator-error.js';

export interface EventHubsEmulatorOptions {
  /** A config object, or a path to a JSON file. */
  config: EmulatorConfig | string;
  /** Directory for the partition logs; omitted = in memory (no persistence), for quick tests. */
  dataDir?: string;
  /** 0 = pick a free port; default 5672. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /**
   * A second listener speaking AMQP over TLS, for SDKs that always dial TLS (Python's dials 5671):
   * 0 = a free port; needs `tlsCert` and `tlsKey`. Undefined = plain AMQP only.
   */
  tlsPort?: number;
  /** Path of the TLS listener's certificate chain (PEM). */
  tlsCert?: string;
  /** Path of the TLS listener's private key (PEM). */
  tlsKey?: string;
  /** HTTP health + Prometheus metrics; 0 = free port; undefined = off. */
  metricsPort?: number;
  /** Default: console.error lines with a prefix; tests pass a no-op. */
  log?: (line: string) => void;
}

export interface RunningEventHubsEmulator {
  /** `Endpoint=sb://localhost:PORT;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;` */
  connectionString: string;
  port: number;
  /** With a TLS listener: its port, and a connection string without `UseDevelopmentEmulator`, so SDKs use TLS. */
  tlsPort?: number;
  tlsConnectionString?: string;
  metricsUrl?: string;
  /** Flushes and closes everything. */
  close(): Promise<void>;
}

/** How often retention runs (it also runs at start). */
const RETENTION_CHECK_MS = 30_000;

/** The key name and value of the official emulator's connection string. */
export const DEFAULT_KEY_NAME = 'RootManageSharedAccessKey';
export const DEFAULT_KEY_VALUE = 'SAS_KEY_VALUE';

/** The host clients dial: `localhost` for loopback and wildcard listeners, else the address listened on. */
function endpointHost(host: string): string {
  if (['127.0.0.1', '::1', 'localhost', '0.0.0.0', '::'].includes(host)) return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}

/** Plain AMQP: `UseDevelopmentEmulator=true` makes the SDKs skip TLS; 5672 is their default port for it. */
export function emulatorConnectionString(port: number, host = '127.0.0.1'): string {
  const endpoint = port === 5672 ? `sb://${endpointHost(host)}` : `sb://${endpointHost(host)}:${port}`;
  return `Endpoint=${endpoint};SharedAccessKeyName=${DEFAULT_KEY_NAME};SharedAccessKey=${DEFAULT_KEY_VALUE};UseDevelopmentEmulator=true;`;
}

/** AMQP over TLS, as against Azure; 5671 is the SDKs' default port for it. */
export function emulatorTlsConnectionString(port: number, host = '127.0.0.1'): string {
  const endpoint = port === 5671 ? `sb://${endpointHost(host)}` : `sb://${endpointHost(host)}:${port}`;
  return `Endpoint=${endpoint};SharedAccessKeyName=${DEFAULT_KEY_NAME};SharedAccessKey=${DEFAULT_KEY_VALUE};`;
}

/** Reads the TLS listener's certificate and key; all three options or none. */
async function loadTls(options: EventHubsEmulatorOptions): Promise<TlsListenerOptions | undefined> {
  const { tlsPort, tlsCert, tlsKey } = options;
  if (tlsPort === undefined && tlsCert === undefined && tlsKey === undefined) return undefined;
  if (tlsPort === undefined || tlsCert === undefined || tlsKey === undefined) {
    throw new EmulatorError(
      'INVALID_CONFIG',
      'A TLS listener needs all of tlsPort, tlsCert and tlsKey (--tls-port, --tls-cert, --tls-key).',
    );
  }
  const read = async (path: string, what: string) => {
    try {
      return await readFile(path);
    } catch (error) {
      throw new EmulatorError('INVALID_CONFIG', `Cannot read the TLS ${what} '${path}': ${(error as Error).message}`, { cause: error });
    }
  };
  return { port: tlsPort, cert: await read(tlsCert, 'certificate'), key: await read(tlsKey, 'private key') };
}

async function loadConfig(config: EmulatorConfig | string): Promise<EmulatorConfig> {
  if (typeof config !== 'string') return parseEmulatorConfig(config);
  let text: string;
  try {
    text = await readFile(config, 'utf8');
  } catch (error) {
    throw new EmulatorError('INVALID_CONFIG', `Cannot read the emulator configuration '${config}': ${(error as Error).message}`, {
      cause: error,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new EmulatorError('INVALID_CONFIG', `The emulator configuration '${config}' is not valid JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return parseEmulatorConfig(json, config);
}

/** A hub's creation time is kept beside its partitions, so it survives restarts. */
async function readOrCreateHubCreatedAt(directory: string, now: number): Promise<number> {
  const path = join(directory, 'hub.json');
  try {
    const stored = JSON.parse(await readFile(path, 'utf8')) as { createdAt?: unknown };
    if (typeof stored.createdAt === 'number') return stored.createdAt;
  } catch {
    // first start for this hub, or an unreadable file: write a fresh one
  }
  await mkdir(directory, { recursive: true });
  await writeFile(path, JSON.stringify({ createdAt: now }));
  return now;
}

export async function startEventHubsEmulator(options: EventHubsEmulatorOptions): Promise<RunningEventHubsEmulator> {
  const log = options.log ?? ((line: string) => console.error(`[eventhubs-emulator] ${line}`));
  const config = normalizeConfig(await loadConfig(options.config));
  const tls = await loadTls(options);
  const host = options.host ?? '127.0.0.1';
  const startedAt = Date.now();
  const dataDir = options.dataDir;
  const unlock = dataDir === undefined ? async () => undefined : await lockDataDir(dataDir);
  let broker: EventHubBroker;
  try {
    broker = await openBroker(config, { dataDir, startedAt, log });
  } catch (error) {
    await unlock();
    throw error;
  }
  const server = new AmqpServer({
    broker,
    host,
    port: options.port ?? 5672,
    tls,
    namespaceHost: 'localhost',
    log,
  });
  let listening: Listening;
  try {
    listening = await listen(server, broker, host, options.metricsPort);
  } catch (error) {
    await server.close();
    await broker.close();
    await unlock();
    throw error;
  }
  return runEmulator({ broker, server, unlock, host, ...listening });
}

/** Opens the broker over each partition's log: in memory, or files under `dataDir` that survive restarts. */
async function openBroker(
  config: NormalizedConfig,
  { dataDir, startedAt, log }: { dataDir: string | undefined; startedAt: number; log: (line: string) => void },
): Promise<EventHubBroker> {
  const hubDirectory = (hub: string) => join(dataDir ?? '', hub.toLowerCase());
  const openLog = async (hub: string, partitionId: string): Promise<PartitionLog> =>
    dataDir === undefined
      ? new MemoryPartitionLog()
      : FilePartitionLog.open({
          directory: join(hubDirectory(hub), 'partitions', partitionId),
          sync: config.persistence.sync,
          segmentBytes: config.persistence.segmentBytes,
          log,
          onFlush: (events) => {
            metrics.logFlushes++;
            metrics.loggedEvents += events;
          },
        });
  const createdAt = async (hub: string): Promise<number> => {
    if (dataDir === undefined) return startedAt;
    return readOrCreateHubCreatedAt(hubDirectory(hub), startedAt);
  };
  const metrics = new EmulatorMetrics();
  return EventHubBroker.open(config, openLog, createdAt, metrics);
}

interface Listening {
  ports: { port: number; tlsPort?: number };
  metricsServer: MetricsServer | undefined;
}

/** Opens the AMQP listeners, then the metrics server if asked for; the caller closes what a throw leaves. */
async function listen(server: AmqpServer, broker: EventHubBroker, host: string, metricsPort: number | undefined): Promise<Listening> {
  const ports = await server.listen();
  const metricsServer = metricsPort === undefined ? undefined : await startMetricsServer(broker, host, metricsPort);
  return { ports, metricsServer };
}

/** Starts retention (now and every RETENTION_CHECK_MS) and hands out the endpoints and a close that runs once. */
function runEmulator({
  broker,
  server,
  unlock,
  host,
  ports,
  metricsServer,
}: Listening & { broker: EventHubBroker; server: AmqpServer; unlock: () => Promise<void>; host: string }): RunningEventHubsEmulator {
  broker.applyRetention();
  const retention = setInterval(() => broker.applyRetention(), RETENTION_CHECK_MS);
  retention.unref();
  let closing: Promise<void> | undefined;
  const { port, tlsPort } = ports;
  return {
    connectionString: emulatorConnectionString(port, host),
    port,
    ...(tlsPort === undefined ? {} : { tlsPort, tlsConnectionString: emulatorTlsConnectionString(tlsPort, host) }),
    metricsUrl: metricsServer?.url,
    close() {
      closing ??= (async () => {
        clearInterval(retention);
        await metricsServer?.close();
        await server.close();
        await broker.close();
        await unlock();
      })();
      return closing;
    },
  };
}
