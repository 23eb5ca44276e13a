import { describe, expect, it } from 'vitest';
import { calibratedValues, withInput } from '../calibration.js';
import { planWorkload } from '../model/workloads.js';
import { simulateAzureRun } from '../run/azure-run.js';
import { SENSITIVE_INPUTS, runSensitivity } from '../run/sensitivity.js';

const valueOf = (inputs: ReturnType<typeof calibratedValues>, path: string) => {
  const [group, name] = path.split('.') as [keyof typeof inputs, string];
  return (inputs[group] as Record<string, number>)[name]!;
};

describe('sensitivity', () => {
  it('moves a database-bound run with the SQL inputs it varies, even where the log rate sits at its cap', () => {
    // 40 vCores: 180 MB/s by the per-vCore rate, held at General Purpose's 50 MB/s; a roomy namespace.
    let inputs = calibratedValues();
    for (const [path, value] of [
      ['SQL.vCores', 40],
      ['EVENT_HUBS.capacityUnits', 40],
      ['EVENT_HUBS.recordsPartitions', 32],
    ] as const)
      inputs = withInput(inputs, path, value);
    const workload = planWorkload({ profile: 'burst', gigabytes: 2, files: 8, csvBytesPerRow: inputs.DATA.csvBytesPerRow });
    const drain = (values: typeof inputs) => {
      const result = simulateAzureRun(values, { platform: 'flex', workload });
      return Math.max(...result.files.map((file) => file.completedAt!));
    };
    const base = drain(inputs);
    const sqlInputs = SENSITIVE_INPUTS.filter((path) => path.startsWith('SQL.'));
    expect(sqlInputs.length).toBeGreaterThan(0);
    const changes = sqlInputs.map((path) => {
      const doubled = drain(withInput(inputs, path, valueOf(inputs, path) * 2));
      return { path, change: Math.abs(doubled / base - 1) };
    });
    // The database's capacity is varied: at least one SQL input moves the drain by more than 5 %.
    expect(Math.max(...changes.map(({ change }) => change)), JSON.stringify(changes)).toBeGreaterThan(0.05);
  });

  it("varies KEDA's polling interval, which sets how soon an idle Deployment wakes", () => {
    expect(SENSITIVE_INPUTS).toContain('AKS.kedaPollingSeconds');
    const inputs = withInput(withInput(calibratedValues(), 'EVENT_HUBS.capacityUnits', 20), 'SQL.vCores', 8);
    const workload = planWorkload({ profile: 'burst', gigabytes: 0.2, files: 2, csvBytesPerRow: inputs.DATA.csvBytesPerRow });
    const firstExtract = (polling: number) => {
      const result = simulateAzureRun(withInput(inputs, 'AKS.kedaPollingSeconds', polling), { platform: 'aks', workload });
      return result.scalingEvents.find((event) => event.group === 'extract')!.at;
    };
    // The file's message is on the queue after Event Grid's second; KEDA sees it at its next poll.
    expect(firstExtract(15)).toBe(15);
    expect(firstExtract(60)).toBe(60);
  });

  it('reruns the comparison for each input halved and doubled', () => {
    const inputs = withInput(withInput(calibratedValues(), 'EVENT_HUBS.capacityUnits', 20), 'SQL.vCores', 8);
    const workload = planWorkload({ profile: 'burst', gigabytes: 0.2, files: 2, csvBytesPerRow: inputs.DATA.csvBytesPerRow });
    const report = runSensitivity(inputs, workload, {
      modes: ['functions', 'keda'],
      inputs: ['AKS.kedaPollingSeconds', 'EVENT_HUBS.recordsPartitions'],
    });
    expect(report.rows.map((row) => [row.input, row.value])).toEqual([
      ['AKS.kedaPollingSeconds', inputs.AKS.kedaPollingSeconds / 2],
      ['AKS.kedaPollingSeconds', inputs.AKS.kedaPollingSeconds * 2],
      ['EVENT_HUBS.recordsPartitions', inputs.EVENT_HUBS.recordsPartitions / 2],
      ['EVENT_HUBS.recordsPartitions', inputs.EVENT_HUBS.recordsPartitions * 2],
    ]);
    for (const row of report.rows)
      expect(Object.keys(row.holds).sort()).toEqual(['bottleneck', 'cheaper per million rows', 'drains first', 'lower p95 latency']);
  });
});
