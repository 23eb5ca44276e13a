/** A small load test through the real local stack (Azurite, the emulator, the host, SQLite). */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateIotCsv } from '../local/sample-data/iot-csv-generator.js';
import { planUploads } from './load-profiles.js';
import { runLoadTest, type LoadTestOptions } from './run-load-test.js';
import { ClockOffset, remoteFromArgs, statusApi } from './remote-target.js';
import { startLocalStack } from '../local/cli/local-stack.js';
import { getEtlRuntime } from '../shared/runtime/etl-runtime.js';

/** A small run on the shared placement, into a fresh folder; each test says what it changes. */
function smallRun(options: Partial<LoadTestOptions> & Pick<LoadTestOptions, 'profile' | 'files' | 'rows' | 'intervalSeconds'>) {
  const outDir = join(mkdtempSync(join(tmpdir(), 'load-test-')), 'report');
  const run = runLoadTest({
    placement: 'shared',
    instances: 1,
    partitions: 2,
    sampleMs: 100,
    timeoutSeconds: 120,
    outDir,
    log: () => {},
    ...options,
  });
  return { outDir, run };
}

describe('runLoadTest', () => {
  it('uploads a burst, samples the pipeline until every file is complete, and writes the report', async () => {
    const lines: string[] = [];
    const { outDir, run: running } = smallRun({
      profile: 'burst',
      files: 2,
      rows: 2000,
      intervalSeconds: 0,
      log: (line) => lines.push(line),
    });
    const outcome = await running;

    // What the generator says the two files hold (the plan's seeds), against what the pipeline reports.
    const expected = planUploads('burst', { files: 2, rows: 2000, intervalSeconds: 0, runId: 'x' }).map((upload) =>
      generateIotCsv({ rows: upload.rows, seed: upload.seed }).expected(),
    );
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
    for (const name of ['report.md', 'throughput.svg', 'progress.svg', 'samples.csv', 'files.csv'])
      expect(existsSync(join(outDir, name))).toBe(true);
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
    expect(
      outcome.run.samples.every(
        (sample) => sample.cpuSeconds === undefined && sample.chunksPublished === undefined && sample.retries === undefined,
      ),
    ).toBe(true);
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
      const { deadLetters } = await getEtlRuntime();
      const deadLetter = (id: string) =>
        deadLetters.add({
          id,
          stage: 'transform',
          source: 'records',
          dataset: 'iot_events',
          fileId: null,
          partitionKey: null,
          body: '{}',
          properties: {},
          error: 'test',
          attempts: 5,
          failedAt: new Date().toISOString(),
        });
      // Dead letters from before the run are not the run's; one written during it is.
      await deadLetter('before-1');
      await deadLetter('before-2');
      let added: Promise<unknown> | undefined;
      const { run: running } = smallRun({
        profile: 'steady',
        files: 2,
        rows: 1000,
        intervalSeconds: 0.5,
        remote: { storage: stack.storageConnectionString, statusUrl: `${stack.httpUrl}/api/` },
        log: (line) => {
          if (line.includes('uploaded') && !added) added = deadLetter('during-1');
        },
      });
      const outcome = await running;
      await added;
      const expected = planUploads('steady', { files: 2, rows: 1000, intervalSeconds: 0.5, runId: 'x' }).map((upload) =>
        generateIotCsv({ rows: upload.rows, seed: upload.seed }).expected(),
      );
      expect(outcome.ok).toBe(true);
      expect(outcome.summary).toMatchObject({
        files: 2,
        filesComplete: 2,
        totalRows: 2000,
        loadedRows: expected[0]!.distinctKeys + expected[1]!.distinctKeys,
        deadLetters: 1,
      });
      // No processes of its own to read: no CPU, no per-process counters; the report says where it ran, without the key.
      expect(outcome.run.cpu).toBeUndefined();
      expect(outcome.run.samples.every((sample) => sample.cpuSeconds === undefined && sample.chunksPublished === undefined)).toBe(true);
      expect(outcome.run.settings.target).toBe(`running pipeline: storage account devstoreaccount1, status API ${stack.httpUrl}/api/`);
      expect(outcome.run.settings.placement).toBeUndefined();
      // Same machine, same clock: the estimate from the Date headers is near 0 and says how sure it is.
      expect(String(outcome.run.settings["pipeline's clock"])).toMatch(
        /^[+-]0\.\d\d s from this machine's \(±0\.\d\d s, from HTTP Date headers\)/,
      );
      for (const file of outcome.run.files) expect(file.uploadedAtSeconds!).toBeLessThanOrEqual(file.receivedAtSeconds! + 1);
      // The pipeline is still running after the run: the load test did not own it.
      expect((await fetch(`${stack.httpUrl}/api/health`)).status).toBe(200);
      // The status API's limit: honoured, and refused when it is not a whole number from 1 to 1,000.
      expect(((await (await fetch(`${stack.httpUrl}/api/deadletters?limit=1`)).json()) as unknown[]).length).toBe(1);
      for (const limit of ['0', '-1', '1.5', '', '1001'])
        expect((await fetch(`${stack.httpUrl}/api/deadletters?limit=${limit}`)).status).toBe(400);
    } finally {
      await stack.close();
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});

describe('the status API client', () => {
  it('sends the function key, and says what a 401 or a 404 likely means', async () => {
    const seen: (string | undefined)[] = [];
    const server = createServer((request, response) => {
      seen.push(request.headers['x-functions-key'] as string | undefined);
      if (!request.url?.startsWith('/api/')) {
        response.writeHead(404).end();
        return;
      }
      if (request.headers['x-functions-key'] !== 'k3y') {
        response.writeHead(401).end();
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        request.url.startsWith('/api/files')
          ? JSON.stringify([{ blobName: 'iot_events/a.csv' }, { blobName: 'iot_events/other.csv' }])
          : JSON.stringify({ deadLetters: 1, replayedDeadLetters: 1 }),
      );
    });
    await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
    const root = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const base = `${root}/api`;
    try {
      const files = await statusApi(base, 'k3y').files(new Set(['iot_events/a.csv']));
      expect([...files.keys()]).toEqual(['iot_events/a.csv']);
      expect(await statusApi(`${base}/`, 'k3y').deadLetters()).toBe(2);
      await expect(statusApi(base).deadLetters()).rejects.toThrow(`GET ${base}/summary: HTTP 401 (is ETL_FUNCTION_KEY set?)`);
      await expect(statusApi(root, 'k3y').deadLetters()).rejects.toThrow('HTTP 404 (the status URL ends in /api)');
      expect(seen.slice(0, 3)).toEqual(['k3y', 'k3y', undefined]);
    } finally {
      await new Promise((closed) => server.close(closed));
    }
  });
});

describe("the offset of a running pipeline's clock", () => {
  it('narrows from whole-second Date headers taken at different fractions of a second', () => {
    const clock = new ClockOffset();
    expect(clock.estimate()).toBeUndefined();
    // The server's clock is 12.3 s ahead; each answer comes 20 ms after its request.
    const aheadMs = 12_300;
    for (let sent = 1_000_000; sent < 1_010_000; sent += 370) {
      const answered = sent + 10 + aheadMs;
      clock.observe(new Date(Math.floor(answered / 1000) * 1000).toUTCString(), sent, sent + 20);
    }
    const estimate = clock.estimate()!;
    expect(Math.abs(estimate.ms - aheadMs)).toBeLessThanOrEqual(estimate.withinMs);
    expect(estimate.withinMs).toBeLessThanOrEqual(50);
    // Responses without a usable Date header change nothing.
    clock.observe(null, 0, 1);
    clock.observe('not a date', 0, 1);
    expect(clock.estimate()).toEqual(estimate);
  });

  it('starts again when the clock is set meanwhile', () => {
    const clock = new ClockOffset();
    clock.observe(new Date(2_000_000).toUTCString(), 1_999_900, 2_000_100);
    // The server's clock jumped an hour ahead.
    clock.observe(new Date(3_600_000 + 2_001_000).toUTCString(), 2_000_900, 2_001_100);
    expect(clock.estimate()!.ms).toBeGreaterThan(3_500_000);
  });
});

describe('--status-url and --storage', () => {
  it('name a running pipeline, with the storage from ETL_LOAD_TEST_STORAGE when not given and the key from ETL_FUNCTION_KEY', () => {
    expect(remoteFromArgs({ verbose: false }, { ETL_LOAD_TEST_STORAGE: 'ignored without --status-url' })).toBeUndefined();
    expect(
      remoteFromArgs(
        { storage: 'UseDevelopmentStorage=true', 'status-url': 'https://app.azurewebsites.net/api', 'landing-container': 'in-box' },
        { ETL_FUNCTION_KEY: 'k' },
      ),
    ).toEqual({
      storage: 'UseDevelopmentStorage=true',
      statusUrl: 'https://app.azurewebsites.net/api',
      functionKey: 'k',
      landingContainer: 'in-box',
    });
    expect(
      remoteFromArgs({ 'status-url': 'https://app.azurewebsites.net/api', storage: '' }, { ETL_LOAD_TEST_STORAGE: 'from-env' }),
    ).toMatchObject({ storage: 'from-env', functionKey: undefined });
  });

  it('refuse half a target, a URL that is not one or carries a key, a bad container, and the options that shape only the local stack', () => {
    expect(() => remoteFromArgs({ 'status-url': 'https://h/api' }, {})).toThrow(
      'a running pipeline needs its storage account: --storage or ETL_LOAD_TEST_STORAGE',
    );
    expect(() => remoteFromArgs({ storage: 'x', 'landing-container': 'in' }, {})).toThrow(
      '--storage, --landing-container: for a running pipeline, named by --status-url',
    );
    expect(() => remoteFromArgs({ storage: 'x', 'status-url': 'app/api' }, {})).toThrow(
      "--status-url must be a URL such as https://<app>.azurewebsites.net/api, got 'app/api'",
    );
    expect(() => remoteFromArgs({ storage: 'x', 'status-url': 'ftp://h/api' }, {})).toThrow('--status-url must be http(s)');
    expect(() => remoteFromArgs({ storage: 'x', 'status-url': 'https://h/api?code=secret' }, {})).toThrow(
      'takes no query or fragment: give the function key in ETL_FUNCTION_KEY',
    );
    expect(() => remoteFromArgs({ storage: 'x', 'status-url': 'https://h/api', 'landing-container': 'Bad_Name' }, {})).toThrow(
      "--landing-container 'Bad_Name' is not a valid container name",
    );
    expect(() => remoteFromArgs({ storage: 'x', 'status-url': 'http://h/api', instances: '2', 'hold-ms': '10' }, {})).toThrow(
      'these options shape only the local stack, not a running pipeline: --instances, --hold-ms',
    );
  });
});
