/**
 * Runs the commands the simulation is calibrated against — `npm run scale:compare` in both modes and
 * two load-test profiles — one after the other, several rounds, and prints for each run what the
 * calibration compares (time to drain, peak instances, reaction, file latency) together with the
 * CPU the rest of the machine used meanwhile (other engineers' builds on a shared machine), which
 * the simulation is then given as background load. One JSON line per run, then a summary:
 *
 *   npx tsx simulation/measure-calibration-runs.ts [--rounds 3] [--cases compare-functions,compare-keda,burst,steady,ramp-functions,ramp-keda]
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CALIBRATION_CASES, type CalibrationCase } from './calibration-runs.js';
import { resolve } from 'node:path';

const USER_HZ = 100;

/** Busy CPU seconds of the whole machine so far (/proc/stat: everything but idle and iowait). */
function machineBusySeconds(): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = fields as [number, number, number, number, number, number, number, number];
  return (user + nice + system + irq + softirq + steal) / USER_HZ;
}

/** CPU seconds of this process's finished children and theirs (cutime + cstime, /proc/self/stat). */
function childrenCpuSeconds(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) / USER_HZ;
}

function run(command: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(output) : reject(new Error(`${command} ${args.join(' ')} exited with ${code}`))));
  });
}

export interface MeasuredRun {
  readonly case: string;
  readonly drainSeconds: number;
  readonly peakInstances?: number;
  readonly reactionSeconds?: number;
  readonly latencyMedianSeconds?: number;
  readonly latencyMaxSeconds?: number;
  /** Cores the rest of the machine kept busy, on average over the run. */
  readonly backgroundCores: number;
}

async function measure(entry: CalibrationCase): Promise<MeasuredRun> {
  if (entry.command === 'bench') throw new Error(`${entry.name}: run npm run bench -- ${entry.args.join(' ')} itself (it prints rows/s)`);
  const out = await mkdtemp(join(tmpdir(), 'calibration-run-'));
  try {
    const args = entry.command === 'load-test' ? [...entry.args, '--out', out] : entry.args;
    const busyBefore = machineBusySeconds();
    const childrenBefore = childrenCpuSeconds();
    const startedAt = performance.now();
    const output = await run('npm', ['run', '--silent', entry.command, '--', ...args]);
    const wall = (performance.now() - startedAt) / 1000;
    const own = childrenCpuSeconds() - childrenBefore;
    const backgroundCores = Math.max(0, (machineBusySeconds() - busyBefore - own) / wall);
    if (entry.command === 'scale:compare') {
      const line = output
        .trim()
        .split('\n')
        .reverse()
        .find((text) => text.startsWith('{'));
      if (!line) throw new Error(`scale:compare printed no summary:\n${output}`);
      const summary = JSON.parse(line) as { completeSeconds: number; peakInstances: number; reactionMs?: number };
      return {
        case: entry.name,
        drainSeconds: summary.completeSeconds,
        peakInstances: summary.peakInstances,
        reactionSeconds: summary.reactionMs === undefined ? undefined : summary.reactionMs / 1000,
        backgroundCores,
      };
    }
    const files = (await readFile(join(out, 'files.csv'), 'utf8'))
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => line.split(','));
    const header = (await readFile(join(out, 'files.csv'), 'utf8')).split('\n')[0]!.split(',');
    const column = (name: string) => header.indexOf(name);
    const latencies = files.map((fields) => Number(fields[column('latency_s')])).sort((a, b) => a - b);
    const planned = Math.min(...files.map((fields) => Number(fields[column('planned_at_s')])));
    const completed = Math.max(...files.map((fields) => Number(fields[column('completed_at_s')])));
    const middle = Math.floor(latencies.length / 2);
    const report = await readFile(join(out, 'report.md'), 'utf8');
    const peak = /\| autoscaling \([a-z]+\) \| peak (\d+) instances/.exec(report);
    return {
      case: entry.name,
      drainSeconds: completed - planned,
      peakInstances: peak ? Number(peak[1]) : 1,
      latencyMedianSeconds: latencies.length % 2 === 1 ? latencies[middle]! : (latencies[middle - 1]! + latencies[middle]!) / 2,
      latencyMaxSeconds: latencies.at(-1)!,
      backgroundCores,
    };
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

if (import.meta.filename === resolve(process.argv[1] ?? '')) {
  const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, cases: { type: 'string' } } });
  const names = values.cases?.split(',') ?? CALIBRATION_CASES.filter((entry) => entry.command !== 'bench').map((entry) => entry.name);
  const cases = names.map((name) => {
    const entry = CALIBRATION_CASES.find((candidate) => candidate.name === name);
    if (!entry)
      throw new Error(`no calibration case '${name}'; there are ${CALIBRATION_CASES.map((candidate) => candidate.name).join(', ')}`);
    return entry;
  });
  const runs: MeasuredRun[] = [];
  for (let round = 0; round < Number(values.rounds); round += 1) {
    for (const entry of cases) {
      const result = await measure(entry);
      runs.push(result);
      console.log(JSON.stringify(result));
    }
  }
}
