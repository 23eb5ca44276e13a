/**
 * The Grafana dashboard against a real Prometheus (Debian's `prometheus`, installed by .ci/run)
 * scraping the local stack's host processes (per-function placement: the HTTP front, extract,
 * transform and aggregate each in a process of its own): Prometheus accepts each process's exposition,
 * every dashboard query is valid PromQL that it evaluates, the pipeline panels see the rows that
 * went through, and the process panels give one series per process — and one per pod where the
 * series carry the labels managed Prometheus gives AKS pods (`kubernetes_namespace`,
 * `kubernetes_pod_name`). Skipped with a notice where `prometheus` is not installed, except in CI.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../local/cli/local-stack.js';
import { waitFor } from '../../local/host/test/wait-for.js';
import { generateIotCsv } from '../../local/sample-data/iot-csv-generator.js';
import { getEtlRuntime } from '../runtime/etl-runtime.js';
import { iotEventsDataset } from '../datasets/iot-events.js';

const installed = spawnSync('prometheus', ['--version']).status === 0 && spawnSync('promtool', ['--version']).status === 0;
/** In CI (`CI` set) and under `.ci/run` (which installs prometheus and exports ETL_REQUIRE_PROMETHEUS=1) a missing prometheus fails. */
const required = ['1', 'true'].includes((process.env.CI ?? '').toLowerCase()) || process.env.ETL_REQUIRE_PROMETHEUS === '1';
if (!installed && required) throw new Error('prometheus is not installed: .ci/run installs it (apt-get install prometheus)');
if (!installed)
  console.warn("dashboard-queries.prometheus.test.ts skipped: install Debian's prometheus (apt-get install prometheus) to run it");

const DASHBOARD = new URL('../../dashboards/grafana-dashboard.json', import.meta.url);
const SCRAPE_SECONDS = 1;
const ROWS_PER_FILE = 600;
/** What Grafana puts for its variables: the namespace picker at "All", a rate window of 4 scrapes or more. */
const VARIABLES: Record<string, string> = { namespace: '.*', __rate_interval: '1m', __range: '10m' };
/** Pods of the aks-keda stack, as managed Prometheus' pod-annotation job labels their series. */
const PODS = [
  'etl-status-6c4f8d7b9-q8r3t',
  'etl-extract-84d9c6f5b-w5n1s',
  'etl-transform-7f9c6d5b8-x2k4q',
  'etl-aggregate-5d8b7c9f4-m7p2z',
];

interface Panel {
  readonly title: string;
  readonly type: string;
  readonly targets?: readonly { readonly expr: string; readonly legendFormat?: string }[];
}
interface Series {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/** Runs `promtool check metrics` on an exposition: parse errors fail it; its naming lint is returned. */
function promtoolLint(exposition: string): string[] {
  const result = spawnSync('promtool', ['check', 'metrics'], { input: exposition, encoding: 'utf8' });
  // 0: clean, 3: lint findings only; anything else is a text Prometheus cannot read.
  expect([0, 3], result.stderr).toContain(result.status);
  return `${result.stdout}${result.stderr}`.split('\n').filter((line) => line.trim() !== '');
}

describe.skipIf(!installed)('the Grafana dashboard on a real Prometheus scraping the local stack', () => {
  let stateDir: string;
  let stack: LocalStack;
  let prometheus: ChildProcess | undefined;
  let prometheusUrl: string;
  let panels: Panel[];

  async function query(expr: string): Promise<Series[]> {
    const response = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await response.json()) as { status: string; error?: string; data?: { resultType: string; result: Series[] } };
    if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
    return body.data?.resultType === 'vector' ? body.data.result : [];
  }

  const withVariables = (expr: string, variables: Record<string, string> = VARIABLES) =>
    expr.replace(/\$(\w+)/g, (_, name: string) => variables[name] ?? `$${name}`);
  const targetsOf = (title: string) => panels.find((panel) => panel.title === title)?.targets ?? [];

  beforeAll(async () => {
    panels = (JSON.parse(await readFile(DASHBOARD, 'utf8')) as { panels: Panel[] }).panels;
    stateDir = await mkdtemp(join(tmpdir(), 'etl-prometheus-'));
    // One extract process: the labelled counters it creates with the first file are scraped before the second
    // (increase() cannot count a series' first sample; dashboards/README.md).
    stack = await startLocalStack({
      stateDir,
      ports: 'free',
      partitions: 2,
      placement: 'per-function',
      scanIntervalMs: 200,
      fastLoadBalancing: true,
      settings: { ETL_CHUNK_MAX_ROWS: '100' },
      log: () => {},
    });
    const targets = stack.hostProcesses.map((host) => new URL(host.httpUrl ?? '').host);
    expect(targets).toHaveLength(PODS.length);
    const port = await freePort();
    prometheusUrl = `http://127.0.0.1:${port}`;
    const config = [
      `global: { scrape_interval: ${SCRAPE_SECONDS}s, evaluation_interval: ${SCRAPE_SECONDS}s }`,
      'scrape_configs:',
      '  - job_name: scalable-etl',
      '    metrics_path: /api/metrics',
      `    static_configs: [{ targets: ${JSON.stringify(targets)} }]`,
      '  - job_name: kubernetes-pods',
      '    metrics_path: /api/metrics',
      '    static_configs:',
      ...targets.map(
        (target, index) =>
          `      - { targets: ["${target}"], labels: { kubernetes_namespace: etl, kubernetes_pod_name: ${PODS[index]}, app: scalable-etl } }`,
      ),
    ].join('\n');
    await writeFile(join(stateDir, 'prometheus.yml'), `${config}\n`);
    prometheus = spawn(
      'prometheus',
      [
        `--config.file=${join(stateDir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(stateDir, 'prometheus')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let log = '';
    prometheus.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
    await waitFor(`Prometheus to be ready (${log})`, async () => (await fetch(`${prometheusUrl}/-/ready`)).ok, 60_000, 200);
    await waitFor('every target scraped', async () => (await query('up == 1')).length === 2 * PODS.length, 60_000, 200);

    // A first file makes the labelled series exist; the second (its rows again, all duplicates) then
    // shows as an increase. Each waits until Prometheus has scraped its rows from both jobs.
    const runtime = await getEtlRuntime();
    const text = [...generateIotCsv({ rows: ROWS_PER_FILE, seed: 5, duplicateRate: 0, badRowRate: 0.02, spreadMinutes: 10 }).chunks].join(
      '',
    );
    for (const [index, name] of ['prometheus-a.csv', 'prometheus-b.csv'].entries()) {
      await stack.blobService
        .getContainerClient('landing')
        .getBlockBlobClient(`${iotEventsDataset.name}/${name}`)
        .upload(text, Buffer.byteLength(text));
      await waitFor(
        `${name} to complete`,
        async () =>
          (await runtime.store.manifest.listFiles({ limit: 10 })).find((file) => file.blobName.endsWith(name))?.state === 'complete',
        120_000,
        200,
      );
      const scraped = async () => (await query('sum by (job) (etl_rows_extracted_total)')).map((series) => Number(series.value[1]));
      await waitFor(
        `Prometheus to scrape the rows of ${name}`,
        async () => (await scraped()).join() === [1, 1].map(() => (index + 1) * ROWS_PER_FILE).join(),
        60_000,
        200,
      );
    }
    // Rates need two scrapes of every process after the files: wait until the CPU panel has a line for each.
    const cpu = panels.find((panel) => panel.title === 'CPU per process')?.targets?.[0]?.expr ?? '';
    await waitFor('a CPU rate for every process', async () => (await query(withVariables(cpu))).length === 2 * PODS.length, 60_000, 200);
  }, 300_000);

  afterAll(async () => {
    if (prometheus && prometheus.exitCode === null) {
      const exited = once(prometheus, 'exit');
      prometheus.kill('SIGTERM');
      await exited;
    }
    await stack?.close();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  it('is served by every host process in a text promtool reads, our names clean of its lint', async () => {
    for (const host of stack.hostProcesses) {
      const findings = promtoolLint(await (await fetch(`${host.httpUrl}/api/metrics`)).text());
      expect(findings.filter((line) => /^etl_/.test(line))).toEqual([]);
    }
  });

  it('evaluates every query of the dashboard without an error', async () => {
    const expressions = panels.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr));
    expect(expressions.length).toBeGreaterThan(40);
    for (const expr of expressions) await expect(query(withVariables(expr)), expr).resolves.toBeInstanceOf(Array);
  });

  it('shows the rows that went through on the pipeline panels', async () => {
    const [extracted] = await query(withVariables(targetsOf('Rows extracted')[0]!.expr));
    // Both jobs scrape the same processes, so the total counts each row twice; the second file at least.
    expect(Number(extracted?.value[1])).toBeGreaterThanOrEqual(2 * ROWS_PER_FILE);
    const stalled = await query(withVariables(targetsOf('Seconds since the last batch')[0]!.expr));
    expect(stalled.map((series) => series.metric.stage).sort()).toEqual(expect.arrayContaining(['aggregate', 'extract', 'transform']));
  });

  it('charts CPU, memory, heap, event-loop lag and GC once per host process, and once per pod with the AKS labels', async () => {
    for (const title of [
      'CPU per process',
      'Resident memory per process',
      'V8 heap per process',
      'Event-loop lag p99 per process',
      'Time in GC per process',
    ]) {
      const target = targetsOf(title)[0]!;
      // All namespaces: the plain local job (one series per process) and the pod-labelled one.
      const all = await query(withVariables(target.expr));
      const legends = all.map((series) =>
        (target.legendFormat ?? '').replace(/\{\{(\w+)\}\}/g, (_, label: string) => series.metric[label] ?? '').trim(),
      );
      expect(new Set(legends).size, title).toBe(2 * PODS.length);
      for (const series of all) expect(Number(series.value[1]), title).toBeGreaterThanOrEqual(0);
      // The namespace picker set to the pods' namespace: exactly the two pods.
      const pods = await query(withVariables(target.expr, { ...VARIABLES, namespace: 'etl' }));
      expect(pods.map((series) => series.metric.kubernetes_pod_name).sort(), title).toEqual([...PODS].sort());
    }
    const [cpu] = await query(withVariables(targetsOf('CPU per process')[0]!.expr));
    expect(Number(cpu?.value[1])).toBeGreaterThan(0);
    const memory = await query(withVariables(targetsOf('Resident memory per process')[0]!.expr));
    for (const series of memory) expect(Number(series.value[1])).toBeGreaterThan(30 * 1024 * 1024);
  });
});
