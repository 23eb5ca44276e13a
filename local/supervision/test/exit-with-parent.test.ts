/**
 * A child started with `exitWithParent()` stops when the process that started it is killed with
 * SIGKILL, even in a process group of its own (as the stack's children are).
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { processStarted } from '../stack-processes.js';

describe('exit with parent', () => {
  it('stops a detached child once its parent is killed', async () => {
    // The parent: starts a detached child with the guard and prints the child's pid.
    const parentScript = `
      import { spawn } from 'node:child_process';
      import { exitWithParent } from ${JSON.stringify(new URL('../exit-with-parent.ts', import.meta.url).href)};
      const guard = exitWithParent();
      const child = spawn(process.execPath, [...guard.execArgv, '-e', "process.on('SIGTERM', () => { console.error('child: SIGTERM'); process.exit(0); }); setInterval(() => {}, 1000)"],
        { detached: true, stdio: 'ignore', env: { ...process.env, ...guard.env } });
      console.log(child.pid);
      setInterval(() => {}, 1000);
    `;
    const parent = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', parentScript], { stdio: ['ignore', 'pipe', 'inherit'] });
    const childPid = Number(await new Promise<string>((resolve) => createInterface({ input: parent.stdout! }).once('line', resolve)));
    expect(processStarted(childPid)).toBeDefined();
    parent.kill('SIGKILL');
    const deadline = Date.now() + 15_000;
    while (processStarted(childPid) !== undefined && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(processStarted(childPid)).toBeUndefined();
  }, 30_000);
});
