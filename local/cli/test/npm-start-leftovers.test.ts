/**
 * `npm start` killed with SIGKILL (an IDE's stop button, the OOM killer) leaves nothing running: its
 * children notice it is gone and stop; and a child that could not notice (here: stopped with
 * SIGSTOP) is ended by the next start on the same state folder, which then comes up normally.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { REPOSITORY_ROOT } from '../local-stack.js';
import { processStarted } from '../../supervision/stack-processes.js';
import { waitFor } from '../../host/test/wait-for.js';

interface Started {
  readonly child: ChildProcess;
  readonly output: string[];
}

const running: ChildProcess[] = [];

/** `npm start` as a user runs it, on free ports, until it prints its connection strings. */
async function npmStart(stateDir: string): Promise<Started> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(REPOSITORY_ROOT, 'local', 'cli', 'start.ts'),
      '--state-dir',
      stateDir,
      '--free-ports',
      '--no-sample',
      '--instances',
      '2',
    ],
    { cwd: REPOSITORY_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  running.push(child);
  const output: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => output.push(line));
  createInterface({ input: child.stderr! }).on('line', (line) => output.push(line));
  await waitFor('npm start to be up', () => output.some((line) => line.startsWith('Connection strings')), 240_000, 100).catch(
    (error: unknown) => {
      throw new Error(`${String(error)}\n${output.join('\n')}`);
    },
  );
  return { child, output };
}

async function childrenOf(stateDir: string): Promise<{ role: string; pid: number }[]> {
  const file = JSON.parse(await readFile(join(stateDir, 'processes.json'), 'utf8')) as { children: { role: string; pid: number }[] };
  return file.children;
}

const gone = (pid: number) => processStarted(pid) === undefined;

describe('npm start killed with SIGKILL', () => {
  const stateDir = join(tmpdir(), `etl-leftovers-${process.pid}-${Date.now()}`);

  afterAll(async () => {
    for (const child of running) child.kill('SIGKILL');
    await rm(stateDir, { recursive: true, force: true });
  });

  it('leaves no child running, and the next start ends one that could not notice', async () => {
    await mkdir(stateDir, { recursive: true });
    const first = await npmStart(stateDir);
    const children = await childrenOf(stateDir);
    expect(children.map((child) => child.role).sort()).toEqual(['azurite', 'eventhubs', 'host-2']);
    // Azurite, stopped, cannot notice; the others must stop on their own.
    const azurite = children.find((child) => child.role === 'azurite')!;
    process.kill(azurite.pid, 'SIGSTOP');
    first.child.kill('SIGKILL');
    const others = children.filter((child) => child !== azurite);
    await waitFor(
      'the other children to stop on their own',
      () => (others.every((child) => gone(child.pid)) ? true : undefined),
      60_000,
      200,
    );
    expect(gone(azurite.pid)).toBe(false);

    const second = await npmStart(stateDir);
    expect(gone(azurite.pid)).toBe(true);
    expect(second.output).toContain(`[supervisor] ended 1 process(es) an earlier run left in ${stateDir}: azurite (pid ${azurite.pid})`);
    const exited = new Promise<number | null>((resolve) => second.child.once('exit', (code) => resolve(code)));
    second.child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(existsSync(join(stateDir, 'processes.json'))).toBe(false);
  }, 600_000);
});
