/**
 * CPU time of the local stack's processes over a benchmark or load-test run, so that a run says
 * where the machine's cores went and how fast the pipeline could go with that much work per row.
 * Linux only (`/proc/<pid>/stat`); elsewhere the children are left out and only this process is
 * counted.
 */
import { readFileSync } from 'node:fs';
import type { LocalStack } from '../local/cli/local-stack.js';

/** `/proc/<pid>/stat` counts in USER_HZ, which Linux fixes at 100 for user space. */
const USER_HZ = 100;

/** User + system CPU seconds of a process, or undefined when it is gone or /proc is not there. */
export function processCpuSeconds(pid: number): number | undefined {
  if (pid === process.pid) {
    const usage = process.cpuUsage();
    return (usage.user + usage.system) / 1e6;
  }
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) / USER_HZ : undefined;
}

export type CpuSnapshot = ReadonlyMap<string, number>;

/** CPU seconds so far of every process of the stack, by a readable name. */
export function stackCpuSnapshot(stack: Pick<LocalStack, 'hostProcesses' | 'serviceProcesses'>): CpuSnapshot {
  const named = new Map<string, number>();
  const processes = [
    ...stack.hostProcesses.map((host) => ({
      name: host.pid === process.pid ? `${host.instanceId} (this process)` : host.instanceId,
      pid: host.pid,
    })),
    ...stack.serviceProcesses
      .filter((service) => service.pid !== process.pid)
      .map((service) => ({ name: service.service, pid: service.pid })),
  ];
  for (const { name, pid } of processes) {
    const seconds = processCpuSeconds(pid);
    if (seconds !== undefined) named.set(name, seconds);
  }
  return named;
}

export interface CpuUse {
  /** CPU seconds per process over the run, most first. */
  readonly processes: readonly { readonly name: string; readonly seconds: number }[];
  readonly totalSeconds: number;
}

/** What each process used between two snapshots (processes missing from either are left out). */
export function cpuBetween(before: CpuSnapshot, after: CpuSnapshot): CpuUse {
  const processes = [...after]
    .filter(([name]) => before.has(name))
    .map(([name, seconds]) => ({ name, seconds: seconds - before.get(name)! }))
    .sort((a, b) => b.seconds - a.seconds);
  return { processes, totalSeconds: processes.reduce((sum, process) => sum + process.seconds, 0) };
}
