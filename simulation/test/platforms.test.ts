import { describe, expect, it } from 'vitest';
import { calibratedValues, withInput, type SimulationInputs } from '../calibration.js';
import { planWorkload } from '../model/workloads.js';
import { simulateAzureRun } from '../run/azure-run.js';

/** A cluster and database big enough that the platforms, not the services, set the pace. */
function roomy(): SimulationInputs {
  let inputs = calibratedValues();
  for (const [path, value] of [
    ['EVENT_HUBS.capacityUnits', 20],
    ['SQL.vCores', 8],
    ['EVENT_HUBS.recordsPartitions', 16],
  ] as const)
    inputs = withInput(inputs, path, value);
  return inputs;
}

const burst = (inputs: SimulationInputs, gigabytes = 2, files = 20) =>
  planWorkload({ profile: 'burst', gigabytes, files, csvBytesPerRow: inputs.DATA.csvBytesPerRow });

describe('Flex Consumption', () => {
  it('adds at most four instances per decision, each taking work a cold start after it, and stays within the app maximum', () => {
    const inputs = withInput(roomy(), 'FLEX.maximumInstanceCount', 12);
    const result = simulateAzureRun(inputs, { platform: 'flex', workload: burst(inputs) });
    expect(result.files.every((file) => file.completedAt !== undefined)).toBe(true);
    const transform = result.scalingEvents.filter((event) => event.group === 'transform');
    expect(transform.length).toBeGreaterThan(1);
    for (const event of result.scalingEvents) if (event.to > event.from) expect(event.to - event.from).toBeLessThanOrEqual(4);
    for (const sample of result.samples)
      expect(Object.values(sample.requested).reduce((sum, count) => sum + count, 0)).toBeLessThanOrEqual(12);
    const firstWorker = result.workers.filter((worker) => worker.group === 'transform').sort((a, b) => a.requestedAt - b.requestedAt)[0]!;
    expect(firstWorker.readyAt! - firstWorker.requestedAt).toBeCloseTo(inputs.FLEX.coldStartSeconds, 6);
  });

  it('holds transform for 180 s after its last scale-out, then scales to zero, and bills only executing seconds', () => {
    const inputs = roomy();
    const result = simulateAzureRun(inputs, { platform: 'flex', workload: burst(inputs, 0.5, 5) });
    const lastComplete = Math.max(...result.files.map((file) => file.completedAt!));
    const transform = result.scalingEvents.filter((event) => event.group === 'transform');
    const lastOut = Math.max(...transform.filter((event) => event.to > event.from).map((event) => event.at));
    const toZero = transform.find((event) => event.to === 0)!;
    expect(toZero.at).toBeGreaterThanOrEqual(lastOut + 180 - 1e-6);
    expect(toZero.at).toBeGreaterThanOrEqual(lastComplete - 1);
    expect(result.billedSeconds!).toBeLessThan(result.workers.reduce((sum, worker) => sum + worker.aliveUntil(result.endedAt), 0));
  });
});

describe('KEDA on AKS', () => {
  it('wakes a Deployment from zero on its polling interval, then lets the HPA add pods every sync', () => {
    const inputs = roomy();
    const result = simulateAzureRun(inputs, { platform: 'aks', workload: burst(inputs) });
    const extract = result.scalingEvents.filter((event) => event.group === 'extract');
    expect(extract[0]).toMatchObject({ from: 0, to: 1 });
    expect(extract[0]!.at).toBeLessThanOrEqual(inputs.AKS.kedaPollingSeconds + inputs.FLEX.eventGridSeconds);
    const transform = result.scalingEvents.filter((event) => event.group === 'transform');
    const growth = transform.filter((event) => event.to > event.from && event.from > 0);
    expect(growth.length).toBeGreaterThan(0);
    for (const event of growth) expect(event.to).toBeLessThanOrEqual(Math.max(event.from + 4, event.from * 2));
  });

  it('leaves pods pending until the cluster autoscaler has a node ready, and returns to the minimum after the delays', () => {
    const inputs = withInput(withInput(roomy(), 'AKS.nodeMax', 4), 'AKS.nodeMin', 1);
    const result = simulateAzureRun(inputs, { platform: 'aks', workload: burst(inputs) });
    const nodes = result.samples.map((sample) => sample.nodes!);
    expect(Math.max(...nodes)).toBeGreaterThan(1);
    expect(Math.max(...nodes)).toBeLessThanOrEqual(4);
    expect(nodes.at(-1)).toBe(1);
    // A pod that waited for a node took at least the node's provisioning and the image pull.
    const slowest = Math.max(
      ...result.workers.filter((worker) => worker.readyAt !== undefined).map((worker) => worker.readyAt! - worker.requestedAt),
    );
    expect(slowest).toBeGreaterThanOrEqual(inputs.AKS.nodeProvisionSeconds + inputs.AKS.imagePullSeconds);
    const lastComplete = Math.max(...result.files.map((file) => file.completedAt!));
    expect(result.endedAt).toBeGreaterThanOrEqual(lastComplete + inputs.AKS.scaleDownUnneededSeconds);
  });
});
