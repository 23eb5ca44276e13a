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

/** The last lines a stack child wrote (20 at most), for the message when it fails to start or keeps dying. */
export class RecentLines {
  static readonly CAPACITY = 20;
  readonly #lines: string[] = [];

  push(line: string): void {
    this.#lines.push(line);
    if (this.#lines.length > RecentLines.CAPACITY) this.#lines.shift();
  }

  /** A copy: later lines do not change what a caller holds. */
  lines(): string[] {
    return [...this.#lines];
  }
}

/** A spawned stack child, with what every caller needs to stop it and to say what it last wrote. */
export interface StackChild {
  readonly child: ChildProcess;
  readonly exited: Promise<ChildExit>;
  /** Filled by the caller, which alone knows which of the child's lines are output worth keeping. */
  readonly recent: RecentLines;
  /**
   * SIGTERM, then SIGKILL if it is still running after `graceMs`; settles once it has exited. Each
   * caller picks the grace its child needs to save or flush what it holds.
   */
  stop(graceMs: number): Promise<void>;
}

/**
 * Spawns `node <args>` as a stack child: in its own process group (a Ctrl-C in the terminal reaches
 * the stack first, which stops its children in order), stopped by the preload when this process is
 * gone, and killed when this process exits without stopping it (a crashed test run).
 */
export function spawnStackChild(
  args: readonly string[],
  options: { readonly cwd: string; readonly env?: Readonly<Record<string, string>> },
): StackChild {
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
  const stop = async (graceMs: number): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killTimer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(killTimer);
  };
  return { child, exited, recent: new RecentLines(), stop };
}
