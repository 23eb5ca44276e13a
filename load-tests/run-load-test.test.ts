/** A small load test through the real local stack (Azurite, the emulator, the host, SQLite). */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateIotCsv } from './iot-csv-generator.js';
import { planUploads } from './load-profiles.js';
import { remoteFromArgs, runLoadTest, statusApi, type LoadTestOptions } from './run-load-test.js';
import { startLocalStack } from '../local/cli/local-stack.js';
import { getEtlRuntime } from '../shared/runtime/etl-runtime.js';

/** A small run on the shared placement, into a fresh folder; each test says what it changes. */
function smallRun(options: Partial<LoadTestOptions> & Pick<LoadTestOptions, 'profile' | 'files' | 'rows' | 'intervalSeconds'>) {
  const outDir = join(mkdtempSync(join(tmpdir(), 'load-test-')), 'report');
  const run = runLoadTest({ placement: 'shared', instances: 1, partitions: 2, sampleMs: 100, timeoutSeconds: 120, outDir, log: () => {}, ...options });
  return { outDir, run };
}

describe('runLoadTest', () => {
  it('uploads a burst, samples the pipeline until every file is complete, and writes the report', async () => {
    const lines: string[] = [];
    const { outDir, run: running } = smallRun({ profile: 'burst', files: 2, rows: 2000, intervalSeconds: 0, log: (line) => lines.push(line) });
    const outcome = await running;

    // What the generator says the two files hold (the plan's seeds), against what the pipeline reports.
    const expected = planUploads('burst', { files: 2, rows: 2000, intervalSeconds: 0, runId: 'x' }).map((upload) => generateIotCsv({ rows: upload.rows, seed: upload.seed }).expected());
    const { summary, run } = outcome;
    expect(outcome.ok).toBe(true);
    expect(summary).toMatchObject({
      files: 2,
      filesComplete: 2,
      totalRows: 4000,
      rejectedRows: expected[0]!.badRows + expected[1]!.badRows,
      loadedRows: expected[0]!.distinctKeys + expected[1]!.distinctKeys,
      allBalanced: true,
      deadLetters: 0,
    });
    expect(lines.filter((line) => line.includes('uploaded iot_events/load-'))).toHaveLength(2);

    // Samples move forward, and the last one has settled every valid row.
    const settled = run.samples.map((sample) => sample.settledRows);
    expect(settled).toEqual([...settled].sort((a, b) => a - b));
    expect(run.samples.at(-1)).toMatchObject({ uploadedRows: 4000, extractedRows: 4000, settledRows: summary.validRows, filesComplete: 2 });
    expect(run.samples.at(-1)!.chunksPublished).toBeGreaterThanOrEqual(2);
    // The stage times come from the manifests (one clock); the upload time from this process.
    for (const file of run.files) {
      expect(file.uploadedAtSeconds).toBeGreaterThan(0);
      expect(file.receivedAtSeconds!).toBeLessThanOrEqual(file.extractedAtSeconds!);
      expect(file.extractedAtSeconds!).toBeLessThanOrEqual(file.completedAtSeconds!);
    }

    expect(outcome.reportPath).toBe(join(outDir, 'report.md'));
    for (const name of ['report.md', 'throughput.svg', 'progress.svg', 'samples.csv', 'files.csv']) expect(existsSync(join(outDir, name))).toBe(true);
    expect(readFileSync(join(outDir, 'files.csv'), 'utf8').trimEnd().split('\n')).toHaveLength(3);
    expect(readFileSync(outcome.reportPath, 'utf8')).toContain('| files complete | 2 of 2 |');
  });

  it('with autoscaling, samples the scaler and charts its instances, and leaves per-process figures out', async () => {
    const { outDir, run: running } = smallRun({
      profile: 'steady',
      files: 2,
      rows: 1500,
      intervalSeconds: 0.5,
      chunkRows: 100,
      autoscale: { mode: 'keda', maxInstances: 2, pollMs: 200, holdMs: 1000 },
    });
    const outcome = await running;
    expect(outcome.ok).toBe(true);
    expect(outcome.run.scaling?.mode).toBe('keda');
    // The scaler's decisions reach the samples once it has made one; the summary covers every decision.
    const scaled = outcome.run.samples.filter((sample) => sample.instances !== undefined);
    expect(scaled.length).toBeGreaterThan(0);
    for (const sample of scaled) expect(sample.instances).toBeGreaterThanOrEqual(1);
    expect(outcome.run.scaling!.summary.peakInstances).toBeGreaterThanOrEqual(Math.max(...scaled.map((sample) => sample.instances!)));
    // Scaled-out hosts are not in the stack's process list: CPU and per-process counters are left
    // out rather than undercounted; dead letters come from the store.
    expect(outcome.run.cpu).toBeUndefined();
    expect(outcome.run.samples.every((sample) => sample.cpuSeconds === undefined && sample.chunksPublished === undefined && sample.retries === undefined)).toBe(true);
    expect(outcome.summary.deadLetters).toBe(0);
    expect(readFileSync(join(outDir, 'scaling.svg'), 'utf8')).toContain('<polyline');
    const report = readFileSync(outcome.reportPath, 'utf8');
    expect(report).toContain('| autoscaling (keda) | peak ');
    expect(report).toContain("| retried attempts / dead letters | not counted (only a local stack's own hosts are read) / 0 |");
  });

  it('stops at the timeout without waiting for uploads not due yet, and reports what it saw', async () => {
    const started = Date.now();
    // The second file is due after the timeout: the run must not wait for it.
    const { outDir, run: running } = smallRun({ profile: 'steady', files: 2, rows: 500, intervalSeconds: 600, timeoutSeconds: 1 });
    const outcome = await running;
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(outcome.ok).toBe(false);
    const [first, second] = outcome.run.files;
    expect(first!.uploadedAtSeconds).not.toBeNull();
    expect(second).toMatchObject({ uploadedAtSeconds: null, state: 'not seen', totalRows: 0 });
    expect(readFileSync(outcome.reportPath, 'utf8')).toContain('| files complete | ');
    expect(readFileSync(join(outDir, 'files.csv'), 'utf8').trimEnd().split('\n')[2]).toMatch(/^iot_events\/load-.*-2\.csv,600\.000,,/);
  });

  it('drives a pipeline that is already running through its storage and status API, without starting a stack', async () => {
    // The "running pipeline" is a local stack started here, reached only as a remote one would be.
    const stateDir = mkdtempSync(join(tmpdir(), 'load-test-remote-'));
    const stack = await startLocalStack({ stateDir, ports: 'free', partitions: 2, scanIntervalMs: 200, log: () => {} });
    try {
      // Dead letters from before the run are not the run's.
      const { deadLetters } = await getEtlRuntime();
      for (const id of ['old-1', 'old-2']) {
        await deadLetters.add({ id, stage: 'transform', source: 'records', dataset: 'iot_events', fileId: null, partitionKey: null, body: '{}', properties: {}, error: 'earlier', attempts: 5, failedAt: new Date().toISOString() });
      }
      const listed = await fetch(`${stack.httpUrl}/api/deadletters?limit=1`);
      expect(((await listed.json()) as unknown[]).length).toBe(1);
      const { run: running } = smallRun({
        profile: 'steady',
        files: 2,
        rows: 1000,
        intervalSeconds: 0.5,
        remote: { storageConnectionString: stack.storageConnectionString, statusUrl: `${stack.httpUrl}/api/` },
      });
      const outcome = await running;
      const expected = planUploads('steady', { files: 2, rows: 1000, intervalSeconds: 0.5, runId: 'x' }).map((upload) => generateIotCsv({ rows: upload.rows, seed: upload.seed }).expected());
      expect(outcome.ok).toBe(true);
      expect(outcome.summary).toMatchObject({ files: 2, filesComplete: 2, totalRows: 2000, loadedRows: expected[0]!.distinctKeys + expected[1]!.distinctKeys, deadLetters: 0 });
      // No processes of its own to read: no CPU, no per-process counters; the report says where it ran.
      expect(outcome.run.cpu).toBeUndefined();
      expect(outcome.run.samples.every((sample) => sample.cpuSeconds === undefined && sample.chunksPublished === undefined)).toBe(true);
      expect(String(outcome.run.settings.target)).toContain(`status API ${stack.httpUrl}/api/`);
      expect(outcome.run.settings.placement).toBeUndefined();
      // The pipeline is still running after the run: the load test did not own it.
      const health = await fetch(`${stack.httpUrl}/api/health`);
      expect(health.status).toBe(200);
    } finally {
      await stack.close();
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});

describe('the status API client', () => {
  it('sends the function key, and says what a 401 likely means', async () => {
    const seen: (string | undefined)[] = [];
    const server = createServer((request, response) => {
      seen.push(request.headers['x-functions-key'] as string | undefined);
      if (request.headers['x-functions-key'] !== 'k3y') {
        response.writeHead(401).end();
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(request.url?.startsWith('/api/files') ? JSON.stringify([{ blobName: 'iot_events/a.csv' }, { blobName: 'iot_events/other.csv' }]) : '[1,2]');
    });
    await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
    try {
      const files = await statusApi(base, 'k3y').files(new Set(['iot_events/a.csv']));
      expect([...files.keys()]).toEqual(['iot_events/a.csv']);
      expect(await statusApi(`${base}/`, 'k3y').deadLetters()).toBe(2);
      await expect(statusApi(base).deadLetters()).rejects.toThrow(`GET ${base}/deadletters?limit=1000000: HTTP 401 (is ETL_FUNCTION_KEY set?)`);
      expect(seen).toEqual(['k3y', 'k3y', undefined]);
    } finally {
      await new Promise((closed) => server.close(closed));
    }
  });
});

describe('--status-url and --storage', () => {
  it('name a running pipeline, with the storage from ETL_LOAD_TEST_STORAGE when not given and the key from ETL_FUNCTION_KEY', () => {
    expect(remoteFromArgs({}, { ETL_LOAD_TEST_STORAGE: 'ignored without --status-url' })).toBeUndefined();
    expect(remoteFromArgs({ storage: 'UseDevelopmentStorage=true', 'status-url': 'https://app.azurewebsites.net/api', 'landing-container': 'in' }, { ETL_FUNCTION_KEY: 'k' })).toEqual({
      storageConnectionString: 'UseDevelopmentStorage=true',
      statusUrl: 'https://app.azurewebsites.net/api',
      functionKey: 'k',
      landingContainer: 'in',
    });
    expect(remoteFromArgs({ 'status-url': 'https://app.azurewebsites.net/api' }, { ETL_LOAD_TEST_STORAGE: 'from-env' })).toMatchObject({ storageConnectionString: 'from-env', functionKey: undefined });
  });

  it('refuse half a target, a URL that is not one, and the options that shape only the local stack', () => {
    expect(() => remoteFromArgs({ 'status-url': 'https://h/api' }, {})).toThrow('a running pipeline needs its storage account: --storage or ETL_LOAD_TEST_STORAGE');
    expect(() => remoteFromArgs({ storage: 'x', 'landing-container': 'in' }, {})).toThrow('--storage, --landing-container: for a running pipeline, named by --status-url');
    expect(() => remoteFromArgs({ storage: 'x', 'status-url': 'app/api' }, {})).toThrow("--status-url must be an http(s) URL, got 'app/api'");
    expect(() => remoteFromArgs({ storage: 'x', 'status-url': 'http://h/api', instances: '2', autoscale: 'keda' }, {})).toThrow(
      'these options shape only the local stack, not a running pipeline: --instances, --autoscale',
    );
  });
});
