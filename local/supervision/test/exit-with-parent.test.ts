/**
 * A child started with `exitWithParent()` stops when the process that started it is killed with
 * SIGKILL, even in a process group of its own (as the stack's children are), and it stops the clean
 * way: its SIGTERM handler runs to the end although its output pipes lead to a dead process.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { processStarted } from '../stack-processes.js';

describe('exit with parent', () => {
  it('stops a detached child cleanly once its parent is killed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'etl-exit-with-parent-'));
    const marker = join(dir, 'stopped-cleanly');
    try {
      // The child logs on SIGTERM (into a pipe nobody reads any more), then writes the marker.
      const childScript = `process.on('SIGTERM', () => { console.log('child: stopping'); console.error('child: stopping'); require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'yes'); process.exit(0); }); setInterval(() => {}, 1000)`;
      // The parent: starts the child, detached, with the guard and piped output, and prints its pid.
      const parentScript = `
        import { spawn } from 'node:child_process';
        import { exitWithParent } from ${JSON.stringify(new URL('../exit-with-parent.ts', import.meta.url).href)};
        const guard = exitWithParent();
        const child = spawn(process.execPath, [...guard.execArgv, '-e', ${JSON.stringify(childScript)}],
          { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...guard.env } });
        child.stdout.resume();
        child.stderr.resume();
        console.log(child.pid);
        setInterval(() => {}, 1000);
      `;
      const parent = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', parentScript], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const childPid = Number(await new Promise<string>((resolve) => createInterface({ input: parent.stdout! }).once('line', resolve)));
      expect(processStarted(childPid)).toBeDefined();
      parent.kill('SIGKILL');
      const deadline = Date.now() + 60_000;
      while (processStarted(childPid) !== undefined && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(processStarted(childPid)).toBeUndefined();
      expect(existsSync(marker) && (await readFile(marker, 'utf8'))).toBe('yes');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
