/**
 * What a child of the local stack is started with so that it stops itself when the stack's process
 * is gone (`exit-with-parent.mjs`, preloaded with `--import`): killed with SIGKILL, a process cannot
 * stop its children, and a child in a process group of its own would otherwise live on.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import type { ChildExit } from './child-supervisor.js';

const PRELOAD = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), 'exit-with-parent.mjs')).href;

/** Node options and environment for a child that must not outlive this process. */
export function exitWithParent(): { readonly execArgv: readonly string[]; readonly env: Readonly<Record<string, string>> } {
  return { execArgv: ['--import', PRELOAD], env: { ETL_EXIT_WITH_PARENT_PID: String(process.pid) } };
}

/**
 * Spawns `node <args>` as a stack child: in its own process group (a Ctrl-C in the terminal reaches
 * the stack first, which stops its children in order), stopped by the preload when this process is
 * gone, and killed when this process exits without stopping it (a crashed test run).
 */
export function spawnStackChild(
  args: readonly string[],
  options: { readonly cwd: string; readonly env?: Readonly<Record<string, string>> },
): { child: ChildProcess; exited: Promise<ChildExit> } {
  const guard = exitWithParent();
  const child = spawn(process.execPath, [...guard.execArgv, ...args], {
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    env: { ...process.env, ...options.env, ...guard.env },
  });
  const exited = new Promise<ChildExit>((done) => child.once('exit', (code, signal) => done({ code, signal })));
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  void exited.then(() => process.removeListener('exit', killOnExit));
  return { child, exited };
}
