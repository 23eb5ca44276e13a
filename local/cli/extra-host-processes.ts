/**
 * More local Functions host instances as child processes, sharing the Event Hubs partitions (through
 * the checkpoint store) and the landing queue with the in-process host, as scaled-out instances do.
 */
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { ChildExit } from '../supervision/child-supervisor.js';
import { spawnStackChild } from '../supervision/exit-with-parent.js';

/** A Functions host process of the local stack: which functions it runs, and where. */
export interface HostProcessInfo {
  readonly instanceId: string;
  readonly pid: number;
  /** The functions it runs. */
  readonly functions: readonly string[];
  /** Base URL of its HTTP functions (`/api/metrics`, `/api/health`), when it runs any. */
  readonly httpUrl: string | undefined;
}

export interface ExtraHost extends HostProcessInfo {
  /** Settles when the process has exited, for whatever reason. */
  readonly exited: Promise<ChildExit>;
  recentOutput(): readonly string[];
  stop(): Promise<void>;
}

export interface ExtraHostOptions {
  readonly repositoryRoot: string;
  readonly entryModule: string;
  readonly hostId: string;
  /** Also its partition owner id: kept across restarts, so a restarted host finds what it owned. */
  readonly instanceId: string;
  readonly settings: Readonly<Record<string, string>>;
  readonly log: (line: string) => void;
  readonly fastLoadBalancing?: boolean;
  /** Only these functions (default: all the entry module registers). */
  readonly functions?: readonly string[];
  /** How long a landing message stays invisible while extract runs (renewed at half-time). */
  readonly queueVisibilitySeconds?: number;
}

function hostArguments(options: ExtraHostOptions): string[] {
  return [
    '--import',
    'tsx',
    join(options.repositoryRoot, 'local', 'host', 'host-process.ts'),
    '--entry',
    options.entryModule,
    '--host-json',
    join(options.repositoryRoot, 'host.json'),
    '--host-id',
    options.hostId,
    '--instance-id',
    options.instanceId,
    '--http-port',
    '0',
    ...(options.fastLoadBalancing ? ['--lb-interval-ms', '1000', '--ownership-expiry-ms', '5000'] : []),
    ...(options.functions ? ['--functions', options.functions.join(',')] : []),
    ...(options.queueVisibilitySeconds === undefined ? [] : ['--queue-visibility-seconds', String(options.queueVisibilitySeconds)]),
  ];
}

/** On SIGTERM a host finishes the invocations in flight and closes its listeners; past this it is killed. */
const STOP_GRACE_MS = 15_000;

export async function startExtraHost(options: ExtraHostOptions): Promise<ExtraHost> {
  // A stack child, like Azurite and the emulator: a Ctrl-C reaches the stack first, which stops its
  // hosts in order.
  const { child, exited, recent, stop } = spawnStackChild(hostArguments(options), { cwd: options.repositoryRoot, env: options.settings });
  const output = (line: string) => {
    recent.push(line);
    options.log(`[${options.instanceId}] ${line}`);
  };
  const ready = new Promise<{ httpUrl?: string; functions?: string[] }>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.includes('"event":"ready"')) {
        try {
          resolve(JSON.parse(line) as { httpUrl?: string; functions?: string[] });
        } catch (error) {
          child.kill('SIGKILL');
          reject(new Error(`host ${options.instanceId} announced itself in a line that is not JSON: ${(error as Error).message}`));
        }
      } else if (!line.startsWith('{')) output(line);
    });
    void exited.then((exit) =>
      reject(new Error(`host ${options.instanceId} exited (code ${exit.code}, signal ${exit.signal}) before it was ready`)),
    );
  });
  createInterface({ input: child.stderr! }).on('line', output);
  const announced = await ready;
  return {
    instanceId: options.instanceId,
    pid: child.pid!,
    httpUrl: announced.httpUrl ?? undefined,
    functions: announced.functions ?? [],
    exited,
    recentOutput: () => recent.lines(),
    stop: () => stop(STOP_GRACE_MS),
  };
}
