/**
 * The local stack's autoscaling: the local scaler watching the pipeline's two Event Hubs triggers
 * (records/transform, aggregates/aggregate) and starting or stopping extra host processes.
 */
import { createEventHubsLagReader } from './event-hub-lag.js';
import { HostProcessPool, type StoppableInstance } from './instance-pool.js';
import { DEFAULT_SCALER_POLL_MS, LocalScaler } from './local-scaler.js';
import type { ScalingMode } from './scaling-formulas.js';
import type { FunctionsScalingOptions } from './functions-target-scaling.js';
import { KEDA_SCALING_DEFAULTS, type KedaScalingOptions } from './keda-hpa-scaling.js';
import type { EtlConfig } from '../../shared/config/etl-config.js';

export interface PipelineAutoscaleOptions {
  readonly mode: ScalingMode;
  /** Fewest instances (≥ 1: the in-process host; default 1). */
  readonly min?: number;
  /** Most instances (default 4). */
  readonly max?: number;
  /** Poll interval (default 5000 ms). */
  readonly pollMs?: number;
  /** Rule overrides, e.g. short hold times for tests (defaults: the platforms' own). */
  readonly functions?: Partial<FunctionsScalingOptions>;
  readonly keda?: Partial<KedaScalingOptions>;
}

/**
 * `options` with one scale-in hold for both modes: the Functions scale-in hold and the HPA's
 * scale-down window (runs shorter than the platforms' 180 s and 300 s can then see scale-in).
 */
export function withScaleInHold(options: Omit<PipelineAutoscaleOptions, 'functions' | 'keda'>, holdMs: number): PipelineAutoscaleOptions {
  return {
    ...options,
    functions: { scaleInHoldMs: holdMs },
    keda: { scaleDown: { ...KEDA_SCALING_DEFAULTS.scaleDown, stabilizationWindowMs: holdMs } },
  };
}

export async function startPipelineAutoscaler(options: {
  readonly autoscale: PipelineAutoscaleOptions;
  /** The settings the hosts run with (their connections). */
  readonly settings: Readonly<Record<string, string>>;
  /** The hub and consumer-group names the hosts read from those settings. */
  readonly hubs: EtlConfig['hubs'];
  /** The app's host.json: its Event Hubs batch size and target threshold set the Functions target, as in Azure. */
  readonly hostJson?: Readonly<Record<string, unknown>>;
  readonly initialInstances: number;
  readonly startInstance: (instanceNumber: number) => Promise<StoppableInstance>;
  readonly log: (line: string) => void;
}): Promise<{ scaler: LocalScaler; close(): Promise<void> }> {
  const { autoscale, settings } = options;
  const setting = (name: string) => {
    const value = settings[name];
    if (value === undefined) throw new Error(`the local stack did not set ${name}`);
    return value;
  };
  const lagSource = createEventHubsLagReader({
    eventHubsConnectionString: setting('ETL_EVENTHUB'),
    storageConnectionString: setting('AzureWebJobsStorage'),
    hubs: [
      { eventHubName: options.hubs.records, consumerGroup: options.hubs.transformConsumerGroup },
      { eventHubName: options.hubs.aggregates, consumerGroup: options.hubs.aggregateConsumerGroup },
    ],
  });
  const pool = new HostProcessPool(options.startInstance);
  const close = async () => {
    await scaler.stop();
    await pool.close();
    await lagSource.close();
  };
  const scaler = new LocalScaler({
    mode: autoscale.mode,
    minInstances: autoscale.min,
    maxInstances: autoscale.max,
    pollMs: autoscale.pollMs,
    functions: { ...functionsTargetFromHostJson(options.hostJson), ...autoscale.functions },
    keda: autoscale.keda,
    lagSource,
    pool,
    log: options.log,
  });
  try {
    const { minInstances, maxInstances } = scaler.options;
    await pool.scaleTo(Math.min(Math.max(options.initialInstances, minInstances), maxInstances));
  } catch (error) {
    await close();
    throw error;
  }
  options.log(
    `[scaler] ${autoscale.mode} autoscaling between ${scaler.options.minInstances} and ${scaler.options.maxInstances} instances, every ${autoscale.pollMs ?? DEFAULT_SCALER_POLL_MS} ms`,
  );
  scaler.start();
  return { scaler, close };
}

/** `extensions.eventHubs.maxEventBatchSize` and `targetUnprocessedEventThreshold`, when host.json sets them. */
export function functionsTargetFromHostJson(hostJson: Readonly<Record<string, unknown>> | undefined): Partial<FunctionsScalingOptions> {
  const extensions = hostJson?.extensions as { eventHubs?: Record<string, unknown> } | undefined;
  const eventHubs = extensions?.eventHubs ?? {};
  const positive = (value: unknown) => (typeof value === 'number' && value > 0 ? value : undefined);
  const maxEventBatchSize = positive(eventHubs.maxEventBatchSize);
  const targetUnprocessedEventThreshold = positive(eventHubs.targetUnprocessedEventThreshold);
  return {
    ...(maxEventBatchSize !== undefined ? { maxEventBatchSize } : {}),
    ...(targetUnprocessedEventThreshold !== undefined ? { targetUnprocessedEventThreshold } : {}),
  };
}
