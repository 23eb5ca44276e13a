/**
 * The state folder's process list with real processes: a live stack is not shared, the children a
 * dead one left are ended, and a recycled pid is never taken for an old child.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StackProcessRegistry, processStarted } from '../stack-processes.js';

const started: ChildProcess[] = [];
/** A process that runs until it is killed. */
function sleeper(): ChildProcess {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  started.push(child);
  return child;
}
const exitOf = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise<void>((resolve) => child.once('exit', () => resolve()));

describe('stack process registry', () => {
  let stateDir: string;

  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'etl-registry-'));
  });

  afterEach(async () => {
    for (const child of started.splice(0)) child.kill('SIGKILL');
    await rm(stateDir, { recursive: true, force: true });
  });

  const writeFileOf = (stack: { pid: number; started: string }, children: { role: string; pid: number; started: string }[]) =>
    writeFile(join(stateDir, 'processes.json'), JSON.stringify({ stack: { role: 'stack', ...stack }, children }));

  it('writes down this stack and its children, and removes the list on a clean stop', async () => {
    const registry = await StackProcessRegistry.claim(stateDir, () => {});
    const azurite = sleeper();
    await registry.add('azurite', azurite.pid!);
    const written = JSON.parse(await readFile(join(stateDir, 'processes.json'), 'utf8')) as {
      stack: { pid: number };
      children: { role: string; pid: number }[];
    };
    expect(written.stack.pid).toBe(process.pid);
    expect(written.children.map(({ role, pid }) => ({ role, pid }))).toEqual([{ role: 'azurite', pid: azurite.pid }]);
    await registry.release();
    expect(existsSync(join(stateDir, 'processes.json'))).toBe(false);
  });

  it('refuses a state folder a live stack uses', async () => {
    const otherStack = sleeper();
    await writeFileOf({ pid: otherStack.pid!, started: processStarted(otherStack.pid!)! }, []);
    await expect(StackProcessRegistry.claim(stateDir, () => {})).rejects.toThrow(
      `another local stack (pid ${otherStack.pid}) is running with the state folder ${stateDir}; stop it first, or give another --state-dir`,
    );
  });

  it('ends the children of a stack that died, and leaves a process that only has an old child pid alone', async () => {
    const deadStack = sleeper();
    const deadStackStarted = processStarted(deadStack.pid!)!;
    deadStack.kill('SIGKILL');
    await exitOf(deadStack);
    // A child that ignores SIGTERM is killed after the grace; a pid recorded with another start time is someone else's.
    const stubborn = spawn(process.execPath, ['-e', "process.on('SIGTERM', () => {}); console.log('ready'); setInterval(() => {}, 1000)"], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    started.push(stubborn);
    await new Promise((resolve) => createInterface({ input: stubborn.stdout! }).once('line', resolve));
    const leftover = sleeper();
    const bystander = sleeper();
    await writeFileOf({ pid: deadStack.pid!, started: deadStackStarted }, [
      { role: 'azurite', pid: leftover.pid!, started: processStarted(leftover.pid!)! },
      { role: 'transform-1', pid: stubborn.pid!, started: processStarted(stubborn.pid!)! },
      { role: 'eventhubs', pid: bystander.pid!, started: 'another start time' },
    ]);
    const lines: string[] = [];
    const registry = await StackProcessRegistry.claim(stateDir, (line) => lines.push(line));
    await Promise.all([exitOf(leftover), exitOf(stubborn)]);
    expect(leftover.signalCode).toBe('SIGTERM');
    expect(stubborn.signalCode).toBe('SIGKILL');
    expect(bystander.exitCode === null && bystander.signalCode === null).toBe(true);
    expect(lines).toEqual([
      `[supervisor] ended 2 process(es) an earlier run left in ${stateDir}: azurite (pid ${leftover.pid}), transform-1 (pid ${stubborn.pid})`,
    ]);
    await registry.release();
  }, 30_000);
});
