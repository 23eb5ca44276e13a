/**
 * The dashboards in `dashboards/` query the metric names of the one list, and are well-formed in
 * their products' formats (Grafana dashboard JSON, Azure Monitor workbook "Notebook/1.0").
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { METRIC_NAMES, PROCESS_METRIC_NAMES, metricSpec, type MetricName } from './metric-names.js';

const DASHBOARDS = fileURLToPath(new URL('../../dashboards/', import.meta.url));

interface GrafanaPanel {
  id: number;
  type: string;
  title: string;
  gridPos: { h: number; w: number; x: number; y: number };
  datasource?: { type: string; uid: string };
  targets?: { refId: string; expr: string; legendFormat?: string }[];
  panels?: GrafanaPanel[];
}
interface GrafanaDashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: GrafanaPanel[];
  templating: { list: { name: string; type: string; query: unknown; definition?: string }[] };
}
interface WorkbookItem {
  type: number;
  name: string;
  content: Record<string, unknown> & { parameters?: { name: string; type: number }[]; query?: string; metrics?: { metric: string }[] };
}
interface Workbook {
  version: string;
  items: WorkbookItem[];
}

async function readJson<T>(file: string): Promise<T> {
  return JSON.parse(await readFile(`${DASHBOARDS}${file}`, 'utf8')) as T;
}

/** Our metric names in a query, with histogram series suffixes taken back to the metric's name. */
function pipelineMetricNames(query: string): string[] {
  return [...query.matchAll(/\betl_[a-z0-9_]+\b/g)].map(([series]) => {
    const base = series.replace(/_(bucket|sum|count)$/, '');
    return base !== series && (METRIC_NAMES as string[]).includes(base) && metricSpec(base as MetricName).kind === 'histogram'
      ? base
      : series;
  });
}

/** prom-client's process metric names in a query, with histogram series suffixes taken back to the metric's name. */
function processMetricNames(query: string): string[] {
  return [...query.matchAll(/\b(?:process|nodejs)_[a-z0-9_]+\b/g)].map(([series]) =>
    series.replace(/^(nodejs_gc_duration_seconds)_(?:bucket|sum|count)$/, '$1'),
  );
}

/** Brackets of every kind open and close in order (outside string literals). */
function bracketsBalance(query: string): boolean {
  const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
  const stack: string[] = [];
  for (const char of query.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')) {
    if ('([{'.includes(char)) stack.push(char);
    else if (char in pairs && stack.pop() !== pairs[char]) return false;
  }
  return stack.length === 0;
}

function grafanaPanels(dashboard: GrafanaDashboard): GrafanaPanel[] {
  return dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]);
}

function grafanaQueries(dashboard: GrafanaDashboard): string[] {
  const expressions = grafanaPanels(dashboard).flatMap((panel) => (panel.targets ?? []).map((target) => target.expr));
  const variables = dashboard.templating.list.flatMap((variable) => (variable.definition ? [variable.definition] : []));
  return [...expressions, ...variables];
}

function workbookQueries(workbook: Workbook): string[] {
  return workbook.items.flatMap((item) => (typeof item.content.query === 'string' ? [item.content.query] : []));
}

describe('grafana-dashboard.json', () => {
  it('queries only metric names from the list, and every one of them', async () => {
    const dashboard = await readJson<GrafanaDashboard>('grafana-dashboard.json');
    const used = new Set(grafanaQueries(dashboard).flatMap(pipelineMetricNames));
    expect([...used].filter((name) => !(METRIC_NAMES as string[]).includes(name))).toEqual([]);
    expect(METRIC_NAMES.filter((name) => !used.has(name))).toEqual([]);
  });

  it("charts every process metric of the list, per process (per pod on AKS), and no other of prom-client's", async () => {
    const dashboard = await readJson<GrafanaDashboard>('grafana-dashboard.json');
    const used = new Set(grafanaQueries(dashboard).flatMap(processMetricNames));
    expect([...used].sort()).toEqual([...PROCESS_METRIC_NAMES].sort());
    for (const panel of grafanaPanels(dashboard)) {
      for (const target of panel.targets ?? []) {
        if (processMetricNames(target.expr).length === 0 || target.expr.includes('by (kind)')) continue;
        // One series per process: Prometheus' instance locally, the pod's name on AKS.
        expect(target.expr, panel.title).toMatch(/ by \(kubernetes_pod_name, instance\) /);
        expect(target.legendFormat, panel.title).toContain('{{instance}} {{kubernetes_pod_name}}');
      }
    }
  });

  it('filters the namespace on the label managed Prometheus gives scraped pods', async () => {
    const dashboard = await readJson<GrafanaDashboard>('grafana-dashboard.json');
    for (const expr of grafanaQueries(dashboard)) {
      if (pipelineMetricNames(expr).length === 0 && processMetricNames(expr).length === 0) continue;
      expect(expr).not.toMatch(/[{,]\s*namespace=/);
    }
  });

  it('shows KEDA, replica and pod resource metrics next to ours', async () => {
    const queries = grafanaQueries(await readJson<GrafanaDashboard>('grafana-dashboard.json')).join('\n');
    for (const name of [
      'keda_scaler_metrics_value',
      'kube_deployment_status_replicas',
      'container_cpu_usage_seconds_total',
      'container_memory_working_set_bytes',
    ]) {
      expect(queries).toContain(name);
    }
  });

  it('is an importable dashboard: datasource variable, unique ids and refIds, panels that do not overlap, balanced queries', async () => {
    const dashboard = await readJson<GrafanaDashboard>('grafana-dashboard.json');
    expect(dashboard.uid).toMatch(/^[a-zA-Z0-9_-]{1,40}$/);
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dashboard.templating.list.find((variable) => variable.name === 'datasource')).toMatchObject({
      type: 'datasource',
      query: 'prometheus',
    });
    const panels = grafanaPanels(dashboard);
    expect(new Set(panels.map((panel) => panel.id)).size).toBe(panels.length);
    const cells = new Set<string>();
    for (const panel of panels) {
      const { x, y, w, h } = panel.gridPos;
      expect(x + w, panel.title).toBeLessThanOrEqual(24);
      for (let row = y; row < y + h; row += 1) {
        for (let column = x; column < x + w; column += 1) {
          expect(cells.has(`${row}:${column}`), `${panel.title} overlaps another panel`).toBe(false);
          cells.add(`${row}:${column}`);
        }
      }
      if (panel.type === 'row') continue;
      expect(panel.datasource, panel.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
      const targets = panel.targets ?? [];
      expect(targets.length, panel.title).toBeGreaterThan(0);
      expect(new Set(targets.map((target) => target.refId)).size, panel.title).toBe(targets.length);
      for (const target of targets) expect(bracketsBalance(target.expr), target.expr).toBe(true);
    }
  });
});

describe('azure-monitor-workbook.json', () => {
  it('queries only metric names from the list, and every one of them', async () => {
    const workbook = await readJson<Workbook>('azure-monitor-workbook.json');
    const used = new Set(workbookQueries(workbook).flatMap(pipelineMetricNames));
    expect([...used].filter((name) => !(METRIC_NAMES as string[]).includes(name))).toEqual([]);
    expect(METRIC_NAMES.filter((name) => !used.has(name))).toEqual([]);
  });

  it('charts the Event Hubs and Function App platform metrics and the instance count', async () => {
    const workbook = await readJson<Workbook>('azure-monitor-workbook.json');
    const platformMetrics = workbook.items.flatMap((item) => (item.content.metrics ?? []).map((metric) => metric.metric));
    expect(platformMetrics).toEqual(
      expect.arrayContaining([
        'microsoft.eventhub/namespaces--IncomingMessages',
        'microsoft.eventhub/namespaces--OutgoingMessages',
        'microsoft.web/sites--FunctionExecutionCount',
        'microsoft.web/sites--OnDemandFunctionExecutionCount',
      ]),
    );
    expect(workbookQueries(workbook).some((query) => query.includes('dcount(cloud_RoleInstance)'))).toBe(true);
  });

  it('is a well-formed workbook: unique item names, every {Parameter} defined, KQL on App Insights, balanced queries', async () => {
    const workbook = await readJson<Workbook>('azure-monitor-workbook.json');
    expect(workbook.version).toBe('Notebook/1.0');
    expect(new Set(workbook.items.map((item) => item.name)).size).toBe(workbook.items.length);
    const parameters = new Set(workbook.items.flatMap((item) => (item.content.parameters ?? []).map((parameter) => parameter.name)));
    expect([...parameters]).toEqual(expect.arrayContaining(['TimeRange', 'AppInsights', 'EventHubNamespace', 'FunctionApp']));
    const references = [...JSON.stringify(workbook).matchAll(/\{([A-Za-z]+)\}/g)].map(([, name]) => name!);
    expect(references.filter((name) => !parameters.has(name))).toEqual([]);
    for (const item of workbook.items) {
      expect([1, 3, 9, 10], item.name).toContain(item.type);
      if (item.type !== 3) continue;
      expect(item.content).toMatchObject({
        version: 'KqlItem/1.0',
        resourceType: 'microsoft.insights/components',
        crossComponentResources: ['{AppInsights}'],
        timeContextFromParameter: 'TimeRange',
      });
      expect(bracketsBalance(item.content.query ?? ''), item.name).toBe(true);
    }
  });
});
