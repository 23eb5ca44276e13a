/**
 * The supervisor over children that are plain objects: their deaths are resolved by the test, so
 * restarts, backoff, give-up and deliberate stops are checked without processes (a test with real
 * processes is in local-stack-supervision.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { ChildSupervisor, type ChildExit, type SupervisedChild } from '../child-supervisor.js';

class FakeChild implements SupervisedChild {
  static nextPid = 100;
  readonly pid = FakeChild.nextPid++;
  stopped = false;
  #die!: (exit: ChildExit) => void;
  readonly exited = new Promise<ChildExit>((resolve) => (this.#die = resolve));
  die(exit: ChildExit = { code: null, signal: 'SIGKILL' }): void {
    this.#die(exit);
  }
  async stop(): Promise<void> {
    this.stopped = true;
    this.#die({ code: 0, signal: null });
  }
  recentOutput(): readonly string[] {
    return [`last words of ${this.pid}`];
  }
}

const until = async (what: string, condition: () => boolean, timeoutMs = 5000) => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

function setup(policy = { firstDelayMs: 20, maxDelayMs: 80, maxDeaths: 2, windowMs: 60_000 }) {
  const lines: string[] = [];
  const started: FakeChild[] = [];
  const gaveUp: Error[] = [];
  const supervisor = new ChildSupervisor({ log: (line) => lines.push(line), policy, onGiveUp: (error) => gaveUp.push(error) });
  const start = async () => {
    const child = new FakeChild();
    started.push(child);
    return child;
  };
  return { supervisor, start, lines, started, gaveUp };
}

describe('child supervisor', () => {
  it('reports a death at once with its signal or exit code, and starts the child again', async () => {
    const { supervisor, start, lines, started } = setup();
    const seen: number[] = [];
    const supervised = await supervisor.supervise('transform-1', start, { onStart: (child) => void seen.push(child.pid) });
    const first = started[0]!;
    first.die();
    await until('the death line', () => lines.length > 0);
    expect(lines[0]).toBe(
      `[supervisor] transform-1 (pid ${first.pid}) died: killed by SIGKILL; restarting in 20 ms (death 1 of 2 allowed within 60 s)`,
    );
    await until('the restart', () => started.length === 2);
    await until('the new process to be current', () => supervised.current === started[1]);
    expect(supervised.restarts).toBe(1);
    expect(seen).toEqual([first.pid, started[1]!.pid]);
    expect(lines.at(-1)).toBe(`[supervisor] transform-1 is running again (pid ${started[1]!.pid})`);
    started[1]!.die({ code: 3, signal: null });
    await until('the second death line', () => lines.some((line) => line.includes('died: exit code 3; restarting in 40 ms')));
    await supervised.stop();
  });

  it('gives up on a child that keeps dying, with its last output, and restarts nothing more', async () => {
    const { supervisor, start, started, gaveUp } = setup();
    await supervisor.supervise('azurite', start);
    for (let death = 0; death < 3; death += 1) {
      await until(`start ${death + 1}`, () => started.length === death + 1);
      started[death]!.die({ code: 1, signal: null });
    }
    await until('the give-up', () => gaveUp.length === 1);
    expect(gaveUp[0]!.message).toBe(
      `azurite died 3 times within 60 s (last: exit code 1); stopping the stack\n  its last output:\n    last words of ${started[2]!.pid}`,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(started).toHaveLength(3);
  });

  it('counts a restart that fails to start as a death', async () => {
    const { supervisor, lines, gaveUp } = setup();
    let attempts = 0;
    const first = new FakeChild();
    await supervisor.supervise('eventhubs', async () => {
      attempts += 1;
      if (attempts === 1) return first;
      throw new Error('port 5672 is taken');
    });
    first.die();
    await until('the give-up', () => gaveUp.length === 1);
    expect(lines).toContain(
      '[supervisor] eventhubs did not start: port 5672 is taken; restarting in 40 ms (death 2 of 2 allowed within 60 s)',
    );
    expect(gaveUp[0]!.message).toBe('eventhubs died 3 times within 60 s (last: port 5672 is taken); stopping the stack');
  });

  it('does not take a deliberate stop, or a death while waiting to restart and then stopped, for a reason to restart', async () => {
    const { supervisor, start, started, lines } = setup({ firstDelayMs: 100, maxDelayMs: 100, maxDeaths: 5, windowMs: 60_000 });
    const stopped = await supervisor.supervise('host-2', start);
    await stopped.stop();
    expect(started[0]!.stopped).toBe(true);
    const waiting = await supervisor.supervise('host-3', start);
    started[1]!.die();
    await until('the death line', () => lines.length === 1);
    await waiting.stop();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(started).toHaveLength(2);
    expect(lines).toHaveLength(1);
  });

  it('restarts nothing once closed', async () => {
    const { supervisor, start, started, lines } = setup();
    await supervisor.supervise('host-2', start);
    supervisor.close();
    started[0]!.die();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(started).toHaveLength(1);
    expect(lines).toEqual([]);
  });

  it('tells onRestart of each new process and when the process before died, and nothing once stopping', async () => {
    let clock = 1_000;
    const supervisor = new ChildSupervisor({
      log: () => undefined,
      policy: { firstDelayMs: 20, maxDelayMs: 20, maxDeaths: 5, windowMs: 60_000 },
      onGiveUp: () => undefined,
      now: () => clock,
    });
    const started: FakeChild[] = [];
    let failNextStart = false;
    let holdStarts = false;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const restarted: [pid: number, diedAt: number][] = [];
    const supervised = await supervisor.supervise(
      'azurite',
      async () => {
        if (holdStarts) await held;
        if (failNextStart) {
          failNextStart = false;
          clock = 3_000;
          throw new Error('port 10000 is taken');
        }
        const child = new FakeChild();
        started.push(child);
        return child;
      },
      { onRestart: (child, diedAt) => void restarted.push([child.pid, diedAt.getTime()]) },
    );
    started[0]!.die();
    await until('the first restart', () => restarted.length === 1);
    expect(restarted).toEqual([[started[1]!.pid, 1_000]]);

    // A start that fails is a death, but not the time the process's work may have been lost.
    clock = 2_000;
    failNextStart = true;
    started[1]!.die();
    await until('the second restart', () => restarted.length === 2);
    expect(restarted[1]).toEqual([started[2]!.pid, 2_000]);

    // Stopped while a restart is starting: the new process is stopped, and onRestart never hears of it.
    holdStarts = true;
    started[2]!.die();
    await until('the restart to be under way', () => supervised.restarts === 2 && started.length === 3);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const stopping = supervised.stop();
    release();
    await stopping;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(started).toHaveLength(4);
    expect(started[3]!.stopped).toBe(true);
    expect(restarted).toHaveLength(2);
  });
});
