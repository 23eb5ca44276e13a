/**
 * Measures on this machine the two local-scaler inputs the calibration needs and no benchmark
 * prints: how long a scaled-out host process takes to start (wall time, and the CPU of it and its
 * children — tsx's esbuild — until it says it is ready) and to stop, and what one scaler poll
 * (reading the lag of both hubs) costs this process.
 * On a shared machine a CPU-second does less work than on a quiet one, so the line also gives a
 * reference measured in the same run — this process's CPU per row reading a generated CSV with the
 * pipeline's reader, which the bench's floor measured at 1.0 µs on a quiet machine — and the start's
 * CPU scaled by it. Prints one JSON line; run it a few times:
 *
 *   npx tsx simulation/measure-local-scaling.ts [--starts 3] [--polls 20]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPOSITORY_ROOT, startLocalStack } from '../local/cli/local-stack.js';
import { startExtraHost } from '../local/cli/extra-host-processes.js';
import { createEventHubsLagReader } from '../local/scaler/event-hub-lag.js';
import { processCpuSeconds } from '../load-tests/process-cpu.js';
import { generateIotCsv } from '../local/sample-data/iot-csv-generator.js';
import { readCsv } from '../shared/csv/csv-reader.js';

const { values } = parseArgs({ options: { starts: { type: 'string', default: '3' }, polls: { type: 'string', default: '20' } } });
const stateDir = await mkdtemp(join(tmpdir(), 'etl-measure-scaling-'));
const stack = await startLocalStack({ stateDir, ports: 'free', partitions: 4, log: () => undefined });
const round = (value: number, digits = 3) => Number(value.toFixed(digits));

/** CPU seconds of a process and every process below it (tsx runs esbuild as a child of each host). */
function treeCpuSeconds(pid: number): number | undefined {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const tree = [pid];
  for (let index = 0; index < tree.length; index += 1) for (const [child, parent] of parents) if (parent === tree[index]) tree.push(child);
  const seconds = tree.map((member) => processCpuSeconds(member));
  return seconds[0] === undefined ? undefined : seconds.reduce((sum: number, value) => sum + (value ?? 0), 0);
}
/** µs of this process's CPU per row reading a generated CSV with readCsv (the floor's "read CSV" part). */
async function referenceMicrosPerRow(rows: number): Promise<number> {
  const text = [...generateIotCsv({ rows, seed: 3 }).chunks].join('');
  const before = process.cpuUsage();
  let items = 0;
  for await (const _item of readCsv([text])) items += 1;
  const used = process.cpuUsage(before);
  return (used.user + used.system) / items;
}

try {
  const reference = await referenceMicrosPerRow(200_000);
  const starts = [];
  for (let index = 0; index < Number(values.starts); index += 1) {
    const startedAt = performance.now();
    const host = await startExtraHost({
      repositoryRoot: REPOSITORY_ROOT,
      entryModule: join(REPOSITORY_ROOT, 'functions', 'index.ts'),
      hostId: 'scalable-etl-local',
      instanceId: `host-measure-${index + 2}`,
      settings: stack.settings,
      log: () => undefined,
    });
    const readySeconds = (performance.now() - startedAt) / 1000;
    const cpuSeconds = treeCpuSeconds(host.pid);
    const stoppingAt = performance.now();
    await host.stop();
    starts.push({
      readySeconds: round(readySeconds),
      cpuSeconds: cpuSeconds === undefined ? null : round(cpuSeconds, 2),
      quietCpuSeconds: cpuSeconds === undefined ? null : round(cpuSeconds / reference, 2),
      stopSeconds: round((performance.now() - stoppingAt) / 1000),
    });
  }
  const reader = createEventHubsLagReader({
    eventHubsConnectionString: stack.settings.ETL_EVENTHUB!,
    storageConnectionString: stack.settings.AzureWebJobsStorage!,
    hubs: [
      { eventHubName: stack.settings.ETL_RECORDS_HUB!, consumerGroup: stack.settings.ETL_TRANSFORM_CONSUMER_GROUP! },
      { eventHubName: stack.settings.ETL_AGGREGATES_HUB!, consumerGroup: stack.settings.ETL_AGGREGATE_CONSUMER_GROUP! },
    ],
  });
  await reader.read(); // the first read opens the AMQP links
  const polls = Number(values.polls);
  const cpuBefore = process.cpuUsage();
  const pollStart = performance.now();
  for (let index = 0; index < polls; index += 1) await reader.read();
  const cpu = process.cpuUsage(cpuBefore);
  await reader.close();
  console.log(
    JSON.stringify({
      referenceMicrosPerRow: round(reference, 2),
      starts,
      poll: {
        wallSeconds: round((performance.now() - pollStart) / 1000 / polls, 4),
        ownCpuSeconds: round((cpu.user + cpu.system) / 1e6 / polls, 4),
        quietOwnCpuSeconds: round((cpu.user + cpu.system) / 1e6 / polls / reference, 4),
        polls,
      },
    }),
  );
} finally {
  await stack.close();
  await rm(stateDir, { recursive: true, force: true });
}
process.exit(0);
