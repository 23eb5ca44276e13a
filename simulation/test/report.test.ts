import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { calibratedValues, withInput } from '../calibration.js';
import { planWorkload } from '../model/workloads.js';
import { comparePlatforms, conclusionsOf } from '../run/compare-platforms.js';
import { compactPoints, summaryTable, windowedRates, writeSimulationReport } from '../report/simulation-report.js';

describe('the comparison report', () => {
  const inputs = withInput(withInput(calibratedValues(), 'EVENT_HUBS.capacityUnits', 10), 'SQL.vCores', 4);
  const workload = planWorkload({ profile: 'burst', gigabytes: 0.5, files: 5, csvBytesPerRow: inputs.DATA.csvBytesPerRow });
  const runs = comparePlatforms(inputs, workload, { modes: ['functions', 'keda'] });

  it('summarizes both modes in one table, with costs and the bottleneck', () => {
    const table = summaryTable(runs);
    expect(table.split('\n')[0]).toBe('| | Flex Consumption | KEDA on AKS |');
    expect(table).toContain('| files complete | 5 of 5 | 5 of 5 |');
    for (const run of runs) {
      expect(run.summary.drainSeconds).toBeGreaterThan(0);
      expect(run.summary.latency!.p50).toBeLessThanOrEqual(run.summary.latency!.p95);
      expect(run.summary.computeCostPerMillionRows).toBeGreaterThan(0);
      expect(run.summary.bottlenecks.length).toBeGreaterThan(0);
    }
    const conclusions = conclusionsOf(runs.map((run, index) => ({ mode: ['functions', 'keda'][index]!, summary: run.summary })));
    expect(['functions', 'keda', 'tie']).toContain(conclusions.drainsFirst);
  });

  it('writes the report with the charts of both modes side by side on shared axes', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'simulation-report-'));
    const files = await writeSimulationReport(directory, 'Simulated burst', workload.description, runs, ['a setting']);
    expect(files.map((path) => path.slice(directory.length + 1)).sort()).toEqual([
      'instances.svg',
      'lag.svg',
      'latency.svg',
      'report.md',
      'samples.csv',
      'throughput.svg',
    ]);
    const instances = readFileSync(join(directory, 'instances.svg'), 'utf8');
    expect([...instances.matchAll(/<svg x="(\d+)" y="0"/g)].map((match) => Number(match[1]))).toEqual([0, 860]);
    expect(instances).toContain('Instances — Flex Consumption');
    expect(instances).toContain('Instances — KEDA on AKS');
    // Shared axes: both halves label the same y ticks.
    const ticks = (half: string) => [...half.matchAll(/dominant-baseline="middle">([^<]*)</g)].map((match) => match[1]);
    const [flex, aks] = instances.split('<svg x="860"');
    expect(ticks(flex!)).toEqual(ticks(aks!));
    expect(readFileSync(join(directory, 'report.md'), 'utf8')).toContain('![Instances](instances.svg)');
    expect(readFileSync(join(directory, 'samples.csv'), 'utf8').split('\n')[0]).toContain('records_lag');
  });

  it('takes rates over a window, so counters that move in rounds do not draw a saw', () => {
    // 1,000 rows land every 10 s, sampled every second, over 1,000 s: the window is 10 s.
    const samples = Array.from(
      { length: 1001 },
      (_, at) =>
        ({
          at,
          settledRows: Math.floor(at / 10) * 1000,
          extractedRows: 0,
        }) as unknown as (typeof runs)[number]['result']['samples'][number],
    );
    const rates = windowedRates(samples, 'settledRows').slice(20);
    for (const [, rate] of rates) expect(rate).toBeCloseTo(100, 6);
  });

  it('draws a step series with its steps only', () => {
    const steps: [number, number][] = [
      [0, 1],
      [1, 1],
      [2, 1],
      [3, 2],
      [4, 2],
      [5, 2],
    ];
    expect(compactPoints(steps)).toEqual([
      [0, 1],
      [2, 1],
      [3, 2],
      [5, 2],
    ]);
    const noisy = Array.from({ length: 2000 }, (_, index): [number, number] => [index, index % 7]);
    expect(compactPoints(noisy, 100).length).toBeLessThanOrEqual(101);
  });
});
