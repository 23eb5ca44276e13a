/**
 * Starts Azurite (the Azure Storage emulator, npm `azurite`) as a child process on loopback, for
 * tests and for `npm start`. A child process rather than Azurite's in-process classes: its
 * configuration is parsed from `process.argv`, and a child keeps its loggers and timers out of the
 * caller's process.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { EtlError } from '../../shared/errors/etl-error.js';
import type { ChildExit } from '../supervision/child-supervisor.js';
import { spawnStackChild, type RecentLines } from '../supervision/exit-with-parent.js';

/** The well-known development account every Azure tool knows (public, not a secret). */
export const AZURITE_ACCOUNT_NAME = 'devstoreaccount1';
export const AZURITE_ACCOUNT_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface StartAzuriteOptions {
  /** Folder that keeps the data across restarts; undefined keeps everything in memory. */
  readonly location?: string;
  /** Ports; 0 (the default) picks a free one. Azurite's defaults are 10000, 10001, 10002. */
  readonly blobPort?: number;
  readonly queuePort?: number;
  readonly tablePort?: number;
  /** Hide Azurite's access log (default true). */
  readonly silent?: boolean;
  /** Receives Azurite's own output lines when not silent. */
  readonly log?: (line: string) => void;
  /** How long to wait for the three services to listen (default 30 s). */
  readonly startTimeoutMs?: number;
}

export interface RunningAzurite {
  /** Full explicit connection string with the three endpoints. */
  readonly connectionString: string;
  readonly blobPort: number;
  readonly queuePort: number;
  readonly tablePort: number;
  /** The Azurite process. */
  readonly pid: number;
  /** Settles when the process has exited, for whatever reason. */
  readonly exited: Promise<ChildExit>;
  /** Its last lines of output (access log lines only when not silent). */
  recentOutput(): readonly string[];
  /** Stops Azurite and waits for the process to exit. Safe to call twice. */
  close(): Promise<void>;
}

type Service = 'Blob' | 'Queue' | 'Table';
const LISTENING = /Azurite (Blob|Queue|Table) service is successfully listening at https?:\/\/[^\s]*:(\d+)/;

/** Builds the explicit connection string Azure SDKs and tools accept for Azurite on these ports. */
export function azuriteConnectionString(ports: { blobPort: number; queuePort: number; tablePort: number }): string {
  const base = `http://127.0.0.1`;
  return (
    `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT_NAME};AccountKey=${AZURITE_ACCOUNT_KEY};` +
    `BlobEndpoint=${base}:${ports.blobPort}/${AZURITE_ACCOUNT_NAME};` +
    `QueueEndpoint=${base}:${ports.queuePort}/${AZURITE_ACCOUNT_NAME};` +
    `TableEndpoint=${base}:${ports.tablePort}/${AZURITE_ACCOUNT_NAME};`
  );
}

function azuriteScript(): string {
  const main = createRequire(import.meta.url).resolve('azurite');
  return join(dirname(main), 'azurite.js');
}

/**
 * Azurite closes its servers on SIGTERM and then saves its metadata (it saves only every 5 s
 * otherwise); a stuck keep-alive socket must not hang the caller, but a slow save must not be cut.
 */
const STOP_GRACE_MS = 15_000;

export async function startAzurite(options: StartAzuriteOptions = {}): Promise<RunningAzurite> {
  const { args, cwd } = await azuriteArguments(options);
  // A stack child: Azurite must outlive the first moments of shutdown, so that the host can release
  // its leases; close() stops it.
  const { child, exited, recent, stop } = spawnStackChild(args, { cwd });
  try {
    const ports = await waitForPorts(child, options.startTimeoutMs ?? 30_000, recent, options.log);
    let closing: Promise<void> | undefined;
    return {
      connectionString: azuriteConnectionString(ports),
      ...ports,
      pid: child.pid!,
      exited,
      recentOutput: () => recent.lines(),
      close: () => (closing ??= stop(STOP_GRACE_MS)),
    };
  } catch (error) {
    await stop(STOP_GRACE_MS);
    throw error;
  }
}

/** Azurite's command line (loopback only, no telemetry) and the folder it runs in; creates the data folder. */
async function azuriteArguments(options: StartAzuriteOptions): Promise<{ args: string[]; cwd: string }> {
  const silent = options.silent ?? true;
  const args = [
    azuriteScript(),
    '--disableTelemetry',
    '--skipApiVersionCheck',
    '--loose',
    '--blobHost',
    '127.0.0.1',
    '--queueHost',
    '127.0.0.1',
    '--tableHost',
    '127.0.0.1',
    '--blobPort',
    String(options.blobPort ?? 0),
    '--queuePort',
    String(options.queuePort ?? 0),
    '--tablePort',
    String(options.tablePort ?? 0),
  ];
  if (silent) args.push('--silent');
  // Azurite refuses both at once: a location means persistence, none means memory only.
  if (options.location === undefined) {
    args.push('--inMemoryPersistence');
    return { args, cwd: tmpdir() };
  }
  const location = resolve(options.location);
  await mkdir(location, { recursive: true });
  args.push('--location', location);
  return { args, cwd: location };
}

/** Resolves with the ports once all three services listen; keeps feeding output lines to `recent` for good. */
function waitForPorts(
  child: ChildProcess,
  timeoutMs: number,
  recent: RecentLines,
  log: ((line: string) => void) | undefined,
): Promise<{ blobPort: number; queuePort: number; tablePort: number }> {
  return new Promise((resolvePorts, reject) => {
    const ports: Partial<Record<Service, number>> = {};
    let pending = '';
    const timer = setTimeout(() => fail(`Azurite did not start within ${timeoutMs} ms. Output: ${recent.lines().join(' | ')}`), timeoutMs);
    const fail = (message: string): void => {
      clearTimeout(timer);
      reject(new EtlError('STORAGE_FAILED', message));
    };
    const onLine = (line: string): void => {
      recent.push(line);
      log?.(line);
      const match = LISTENING.exec(line);
      if (!match) return;
      ports[match[1] as Service] = Number(match[2]);
      if (ports.Blob !== undefined && ports.Queue !== undefined && ports.Table !== undefined) {
        clearTimeout(timer);
        resolvePorts({ blobPort: ports.Blob, queuePort: ports.Queue, tablePort: ports.Table });
      }
    };
    const onData = (chunk: Buffer): void => {
      pending += chunk.toString('utf8');
      const lines = pending.split(/\r?\n/);
      pending = lines.pop() ?? '';
      for (const line of lines) if (line.length > 0) onLine(line);
    };
    // Keep draining both pipes for the life of the process, or a chatty Azurite would block on a full pipe.
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('error', (error) => fail(`Azurite could not be spawned: ${error.message}`));
    child.once('exit', (code, signal) =>
      fail(`Azurite exited during start (code ${code}, signal ${signal}). Output: ${recent.lines().join(' | ')}`),
    );
  });
}
