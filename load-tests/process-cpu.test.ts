import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { cpuBetween, processCpuSeconds, stackCpuSnapshot } from './process-cpu.js';

describe('cpuBetween', () => {
  it('gives each process its CPU between the snapshots, most first, leaving out processes missing from either', () => {
    const before = new Map([
      ['transform-1', 1.0],
      ['extract-1', 0.5],
      ['gone', 3.0],
    ]);
    const after = new Map([
      ['transform-1', 4.5],
      ['extract-1', 2.5],
      ['started-late', 1.0],
    ]);
    const use = cpuBetween(before, after);
    expect(use.processes).toEqual([
      { name: 'transform-1', seconds: 3.5 },
      { name: 'extract-1', seconds: 2.0 },
    ]);
    expect(use.totalSeconds).toBeCloseTo(5.5, 10);
  });
});

describe.skipIf(!existsSync('/proc/self/stat'))('processCpuSeconds', () => {
  it("reads a child's CPU time from /proc: it grows while the child computes", async () => {
    // The child spins until it has used 400 ms of CPU (however busy the machine), then waits for stdin to close.
    const child = spawn(
      process.execPath,
      ['-e', "while (process.cpuUsage().user < 400_000); console.log('spun'); process.stdin.resume();"],
      {
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    );
    try {
      await once(child.stdout!, 'data');
      const seconds = processCpuSeconds(child.pid!);
      // It used at least 400 ms of CPU; /proc counts in 10 ms ticks.
      expect(seconds).toBeGreaterThanOrEqual(0.39);
      expect(seconds).toBeLessThan(30);
    } finally {
      child.stdin!.end();
      await once(child, 'exit');
    }
    expect(processCpuSeconds(child.pid!)).toBeUndefined();
  });

  it('counts this process with process.cpuUsage, and names it as the in-process host', () => {
    const snapshot = stackCpuSnapshot({
      hostProcesses: [{ instanceId: 'host-1', pid: process.pid, functions: ['extract'], httpUrl: undefined }],
      serviceProcesses: [{ service: 'eventhubs', pid: process.pid }],
    });
    // The in-process emulator is this process too: counted once, under the host.
    expect([...snapshot.keys()]).toEqual(['host-1 (this process)']);
    const usage = process.cpuUsage();
    expect(snapshot.get('host-1 (this process)')).toBeLessThanOrEqual((usage.user + usage.system) / 1e6);
  });
});
