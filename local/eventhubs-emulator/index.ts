/**
 * The local Event Hubs emulator: an AMQP 1.0 server the unmodified `@azure/event-hubs` SDK talks to.
 * `startEventHubsEmulator` is the one entry point for tests, the local runtime and the CLI.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EmulatorMetrics } from './broker/emulator-metrics.js';
import { EventHubBroker } from './broker/event-hub-broker.js';
import { startMetricsServer, type MetricsServer } from './metrics/metrics-http-server.js';
import { AmqpServer } from './amqp/amqp-server.js';
import { EtlError } from '../../shared/errors/etl-error.js';
import { parseEmulatorConfig } from './config/config-schema.js';
import { normalizeConfig, type EmulatorConfig } from './config/emulator-config.js';
import { lockDataDir } from './storage/data-dir-lock.js';
import { FilePartitionLog } from './storage/file-partition-log.js';
import { MemoryPartitionLog } from './storage/memory-partition-log.js';
import type { PartitionLog } from './storage/partition-log.js';

export type { EmulatorConfig, EventHubConfig } from './config/emulator-config.js';
export { parseEmulatorConfig } from './config/config-schema.js';

export interface EventHubsEmulatorOptions {
  /** A config object, or a path to a JSON file. */
  config: EmulatorConfig | string;
  /** Directory for the partition logs; omitted = in memory (no persistence), for quick tests. */
  dataDir?: string;
  /** 0 = pick a free port; default 5672. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** HTTP health + Prometheus metrics; 0 = free port; undefined = off. */
  metricsPort?: number;
  /** Default: console.error lines with a prefix; tests pass a no-op. */
  log?: (line: string) => void;
}

export interface RunningEventHubsEmulator {
  /** `Endpoint=sb://localhost:PORT;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;` */
  connectionString: string;
  port: number;
  metricsUrl?: string;
  /** Flushes and closes everything. */
  close(): Promise<void>;
}

/** How often retention runs (it also runs at start). */
const RETENTION_CHECK_MS = 30_000;

/** The key name and value of the official emulator's connection string. */
export const DEFAULT_KEY_NAME = 'RootManageSharedAccessKey';
export const DEFAULT_KEY_VALUE = 'SAS_KEY_VALUE';

export function emulatorConnectionString(port: number): string {
  const endpoint = port === 5672 ? 'sb://localhost' : `sb://localhost:${port}`;
  return `Endpoint=${endpoint};SharedAccessKeyName=${DEFAULT_KEY_NAME};SharedAccessKey=${DEFAULT_KEY_VALUE};UseDevelopmentEmulator=true;`;
}

async function loadConfig(config: EmulatorConfig | string): Promise<EmulatorConfig> {
  if (typeof config !== 'string') return parseEmulatorConfig(config);
  let text: string;
  try {
    text = await readFile(config, 'utf8');
  } catch (error) {
    throw new EtlError('INVALID_CONFIG', `Cannot read the emulator configuration '${config}': ${(error as Error).message}`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new EtlError('INVALID_CONFIG', `The emulator configuration '${config}' is not valid JSON: ${(error as Error).message}`, { cause: error });
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
  const startedAt = Date.now();
  const dataDir = options.dataDir;
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
  const unlock = dataDir === undefined ? async () => undefined : await lockDataDir(dataDir);
  let broker: EventHubBroker;
  try {
    broker = await EventHubBroker.open(config, openLog, createdAt, metrics);
  } catch (error) {
    await unlock();
    throw error;
  }
  const server = new AmqpServer({
    broker,
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 5672,
    namespaceHost: 'localhost',
    log,
  });
  let port: number;
  try {
    port = await server.listen();
  } catch (error) {
    await broker.close();
    await unlock();
    throw error;
  }
  let metricsServer: MetricsServer | undefined;
  if (options.metricsPort !== undefined) {
    try {
      metricsServer = await startMetricsServer(broker, options.host ?? '127.0.0.1', options.metricsPort);
    } catch (error) {
      await server.close();
      await broker.close();
      await unlock();
      throw error;
    }
  }
  broker.applyRetention();
  const retention = setInterval(() => broker.applyRetention(), RETENTION_CHECK_MS);
  retention.unref();
  let closing: Promise<void> | undefined;
  return {
    connectionString: emulatorConnectionString(port),
    port,
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
