/**
 * More local Functions host instances as child processes, sharing the Event Hubs partitions (through
 * the checkpoint store) and the landing queue with the in-process host, as scaled-out instances do.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

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
  stop(): Promise<void>;
}

export async function startExtraHost(options: {
  repositoryRoot: string;
  entryModule: string;
  hostId: string;
  instanceId: string;
  settings: Readonly<Record<string, string>>;
  log: (line: string) => void;
  fastLoadBalancing?: boolean;
  /** Only these functions (default: all the entry module registers). */
  functions?: readonly string[];
}): Promise<ExtraHost> {
  const args = [
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
  ];
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: options.repositoryRoot,
    env: { ...process.env, ...options.settings },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const ready = new Promise<{ httpUrl?: string; functions?: string[] }>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      if (line.includes('"event":"ready"')) {
        try {
          resolve(JSON.parse(line) as { httpUrl?: string; functions?: string[] });
        } catch (error) {
          child.kill('SIGKILL');
          reject(new Error(`host ${options.instanceId} announced itself in a line that is not JSON: ${(error as Error).message}`));
        }
      }
      else if (!line.startsWith('{')) options.log(`[${options.instanceId}] ${line}`);
    });
    child.once('exit', (code) => reject(new Error(`host ${options.instanceId} exited with code ${code} before it was ready`)));
  });
  createInterface({ input: child.stderr! }).on('line', (line) => options.log(`[${options.instanceId}] ${line}`));
  const announced = await ready;
  return {
    instanceId: options.instanceId,
    pid: child.pid!,
    httpUrl: announced.httpUrl ?? undefined,
    functions: announced.functions ?? [],
    async stop() {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
