/**
 * The figures a run is compared on: time to drain, file latency, peak instances, reaction time,
 * instance-seconds, cost per million rows, and where the bottleneck sat while files waited.
 */
import type { SimulationResult, SimulationSample } from './simulation-result.js';

export type Bottleneck =
  'database' | 'throughput units' | 'partitions' | 'instance limit' | 'instances starting' | 'instance CPU' | 'machine CPU';

export interface RunSummary {
  readonly files: number;
  readonly filesComplete: number;
  readonly rows: number;
  /** First file landed → last file complete (undefined: not drained). */
  readonly drainSeconds: number | undefined;
  /** Last file landed → last file complete: how long the backlog outlived the load. */
  readonly tailSeconds: number | undefined;
  readonly latency: { readonly p50: number; readonly p95: number; readonly max: number } | undefined;
  /** Most workers taking work at once, per group and in all. */
  readonly peakInstances: Readonly<Record<string, number>>;
  readonly peakTotalInstances: number;
  readonly peakNodes: number | undefined;
  /** First file landed → first added worker taking work. */
  readonly reactionSeconds: number | undefined;
  /** Σ over workers of the time each existed (asked for → stopped). */
  readonly instanceSeconds: number;
  readonly billedSeconds: number | undefined;
  readonly costs: Readonly<Record<string, number>>;
  readonly computeCost: number;
  readonly totalCost: number;
  readonly costPerMillionRows: number;
  readonly computeCostPerMillionRows: number;
  /** What held the pipeline back while files waited (share of that time), most first. */
  readonly bottlenecks: readonly { readonly bottleneck: Bottleneck; readonly share: number }[];
  /** Average use of each shared resource while files waited. */
  readonly utilization: Readonly<Record<string, number>>;
  readonly notes: readonly string[];
}

const COMPUTE_PREFIXES = ['Flex', 'AKS'];

export function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil(fraction * sorted.length));
  return sorted[rank - 1]!;
}

/** A shared resource this busy over a sample counts as what held the pipeline back then. */
const SATURATED = 0.9;

const RESOURCE_BOTTLENECKS: readonly { readonly resource: string; readonly bottleneck: Bottleneck }[] = [
  { resource: 'sql', bottleneck: 'database' },
  { resource: 'event hubs ingress', bottleneck: 'throughput units' },
  { resource: 'event hubs egress', bottleneck: 'throughput units' },
  { resource: 'machine cores', bottleneck: 'machine CPU' },
];

/**
 * What held the pipeline back while files waited, sample by sample: a shared resource (database,
 * namespace quota, this machine's cores) saturated over the sample — when several were, the one
 * busiest over the whole time, so that a database loading in bursts does not hide a quota that never
 * rests — otherwise the instance side: every partition already has a consumer, a group at its most
 * instances, instances still starting, or the instances' own CPU (more would help).
 */
export function bottlenecksOf(
  busy: readonly SimulationSample[],
  context: {
    readonly platform: SimulationResult['platform'];
    readonly partitions: number;
    readonly maxInstances: Readonly<Record<string, number>>;
  },
): {
  readonly bottlenecks: readonly { readonly bottleneck: Bottleneck; readonly share: number }[];
  readonly utilization: Readonly<Record<string, number>>;
} {
  const utilization: Record<string, number> = {};
  for (const { resource } of RESOURCE_BOTTLENECKS) {
    const values = busy.map((sample) => sample.utilization[resource]).filter((value): value is number => value !== undefined);
    if (values.length > 0) utilization[resource] = values.reduce((sum, value) => sum + value, 0) / values.length;
  }
  const counts = new Map<Bottleneck, number>();
  for (const sample of busy) {
    const saturated = RESOURCE_BOTTLENECKS.filter(({ resource }) => (sample.utilization[resource] ?? 0) >= SATURATED).sort(
      (a, b) => (utilization[b.resource] ?? 0) - (utilization[a.resource] ?? 0),
    );
    const bottleneck = saturated[0]?.bottleneck ?? instanceSideAt(sample, context);
    counts.set(bottleneck, (counts.get(bottleneck) ?? 0) + 1);
  }
  const bottlenecks = [...counts]
    .map(([bottleneck, count]) => ({ bottleneck, share: count / Math.max(1, busy.length) }))
    .sort((a, b) => b.share - a.share);
  return { bottlenecks, utilization };
}

function instanceSideAt(
  sample: SimulationSample,
  context: {
    readonly platform: SimulationResult['platform'];
    readonly partitions: number;
    readonly maxInstances: Readonly<Record<string, number>>;
  },
): Bottleneck {
  if (context.platform === 'local') return 'instance CPU';
  if (sample.recordsLag > 0 && (sample.instances.transform ?? 0) >= context.partitions) return 'partitions';
  const capped = Object.entries(context.maxInstances).some(
    ([group, max]) => (sample.requested[group] ?? 0) >= max && (group === 'extract' ? sample.queueLength > 0 : sample.recordsLag > 0),
  );
  if (capped) return 'instance limit';
  const starting = Object.keys(sample.requested).some((group) => (sample.requested[group] ?? 0) > (sample.instances[group] ?? 0));
  return starting ? 'instances starting' : 'instance CPU';
}

export function summarizeRun(result: SimulationResult): RunSummary {
  const context = result.limits;
  const files = result.files;
  const landed = files.map((file) => file.committedAt ?? file.file.arriveAt);
  const firstLanded = Math.min(...landed);
  const complete = files.filter((file) => file.completedAt !== undefined);
  const lastComplete =
    complete.length === files.length && files.length > 0 ? Math.max(...complete.map((file) => file.completedAt!)) : undefined;
  const latencies = complete.map((file) => file.completedAt! - (file.committedAt ?? file.file.arriveAt)).sort((a, b) => a - b);
  const peakInstances: Record<string, number> = {};
  for (const group of result.groups) peakInstances[group] = Math.max(0, ...result.samples.map((sample) => sample.instances[group] ?? 0));
  const peakTotalInstances = Math.max(
    0,
    ...result.samples.map((sample) => Object.values(sample.instances).reduce((sum, count) => sum + count, 0)),
  );
  const nodes = result.samples.map((sample) => sample.nodes).filter((count): count is number => count !== undefined);
  const added = result.workers.filter((worker) => worker.requestedAt > 0 && worker.readyAt !== undefined).map((worker) => worker.readyAt!);
  const reaction = added.length > 0 ? Math.min(...added) - firstLanded : undefined;
  const busy = result.samples.filter((sample) =>
    files.some(
      (file) => (file.committedAt ?? file.file.arriveAt) <= sample.at && (file.completedAt === undefined || file.completedAt > sample.at),
    ),
  );
  const { bottlenecks, utilization } = bottlenecksOf(busy, { platform: result.platform, ...context });
  const rows = files.reduce((sum, file) => sum + file.file.rows, 0);
  const computeCost = Object.entries(result.costs)
    .filter(([item]) => COMPUTE_PREFIXES.some((prefix) => item.startsWith(prefix)))
    .reduce((sum, [, cost]) => sum + cost, 0);
  const totalCost = Object.values(result.costs).reduce((sum, cost) => sum + cost, 0);
  return {
    files: files.length,
    filesComplete: complete.length,
    rows,
    drainSeconds: lastComplete === undefined ? undefined : lastComplete - firstLanded,
    tailSeconds: lastComplete === undefined ? undefined : lastComplete - Math.max(...landed),
    latency:
      latencies.length === 0 ? undefined : { p50: percentile(latencies, 0.5), p95: percentile(latencies, 0.95), max: latencies.at(-1)! },
    peakInstances,
    peakTotalInstances,
    peakNodes: nodes.length > 0 ? Math.max(...nodes) : undefined,
    reactionSeconds: reaction,
    instanceSeconds: result.workers.reduce((sum, worker) => sum + worker.aliveUntil(result.endedAt), 0),
    billedSeconds: result.billedSeconds,
    costs: result.costs,
    computeCost,
    totalCost,
    costPerMillionRows: rows > 0 ? totalCost / (rows / 1e6) : 0,
    computeCostPerMillionRows: rows > 0 ? computeCost / (rows / 1e6) : 0,
    bottlenecks,
    utilization,
    notes: result.notes,
  };
}
