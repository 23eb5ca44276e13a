/**
 * The local stack's Functions hosts: the one in this process, and child processes under supervision
 * for the other instances — by function group under the 'per-function' placement, whole hosts
 * otherwise, or as many as the local scaler asks for. A child host that dies is started again under
 * the same instance id (its partition owner id).
 */
import { LANDING_EVENTS_QUEUE } from '../../shared/config/app-settings.js';
import type { EtlConfig } from '../../shared/config/etl-config.js';
import {
  ALWAYS_ON_GROUP,
  FUNCTION_GROUPS,
  PER_INSTANCE_FUNCTIONS,
  TRIGGERED_GROUPS,
  type FunctionGroup,
} from '../../shared/config/function-groups.js';
import { closeEtlRuntime } from '../../shared/runtime/etl-runtime.js';
import { startLocalFunctionsHost, type HostJson } from '../host/local-functions-host.js';
import { startPipelineAutoscaler, type PipelineAutoscaleOptions } from '../scaler/pipeline-autoscaler.js';
import type { LocalScaler } from '../scaler/local-scaler.js';
import { startExtraHost, type HostProcessInfo } from './extra-host-processes.js';
import { superviseChild, type StackContext } from './stack-services.js';

/** Shared by every host process of the stack (locks, receipts). */
const HOST_ID = 'scalable-etl-local';
/**
 * How long a landing message stays invisible while extract runs, renewed at half-time: short, so
 * that the file of an extract that died is picked up again within seconds (docs/functions-host.md).
 */
export const LANDING_VISIBILITY_SECONDS = 30;

/**
 * The function groups that get processes of their own under 'per-function' placement: every group
 * of the app's catalogue but the always-on one, which the front process runs. Instance counts name
 * these groups and are checked before anything starts.
 */
export const OWN_PROCESS_GROUPS: readonly FunctionGroup[] = TRIGGERED_GROUPS;

export interface HostsPlan {
  readonly entryModule: string;
  readonly hostJson: HostJson;
  readonly settings: Readonly<Record<string, string>>;
  readonly config: EtlConfig;
  readonly placement: 'shared' | 'per-function';
  readonly instances: number;
  readonly functionInstances: Readonly<Record<string, number>>;
  readonly autoscale?: PipelineAutoscaleOptions;
  readonly scanIntervalMs: number;
  readonly fastLoadBalancing: boolean;
}

export interface RunningHosts {
  readonly httpUrl: string | undefined;
  /** This process first; then the child hosts started with the stack (those the scaler starts are not listed). */
  readonly hostProcesses: readonly HostProcessInfo[];
  readonly scaler?: LocalScaler;
}

export async function startHosts(context: StackContext, plan: HostsPlan): Promise<RunningHosts> {
  const front = await startFrontHost(context, plan);
  const hostProcesses: HostProcessInfo[] = [front.info];
  const start = (instanceId: string, group?: FunctionGroup) => startChildHost(context, plan, instanceId, group);
  if (plan.placement === 'per-function') {
    checkCatalogue(front.registered);
    for (const group of OWN_PROCESS_GROUPS) {
      for (let instance = 1; instance <= (plan.functionInstances[group] ?? plan.instances); instance += 1)
        hostProcesses.push(await start(`${group}-${instance}`, group));
    }
    return { httpUrl: front.info.httpUrl, hostProcesses };
  }
  if (plan.autoscale) {
    const running = await startPipelineAutoscaler({
      autoscale: plan.autoscale,
      settings: plan.settings,
      hubs: plan.config.hubs,
      hostJson: plan.hostJson,
      initialInstances: plan.instances,
      startInstance: (instance) => start(`host-${instance}`),
      log: context.log,
    });
    context.onClose(() => running.close());
    return { httpUrl: front.info.httpUrl, hostProcesses, scaler: running.scaler };
  }
  for (let instance = 2; instance <= plan.instances; instance += 1) hostProcesses.push(await start(`host-${instance}`));
  return { httpUrl: front.info.httpUrl, hostProcesses };
}

/** The host in this process: the HTTP and timer functions and the landing scanner, and under 'shared' placement every function. */
async function startFrontHost(context: StackContext, plan: HostsPlan): Promise<{ info: HostProcessInfo; registered: string[] }> {
  const host = await startLocalFunctionsHost({
    entryModules: [plan.entryModule],
    hostJson: plan.hostJson,
    hostId: HOST_ID,
    // Stable, like the child hosts' ids: after a restart of the whole stack it finds what it owned.
    instanceId: 'host-1',
    httpPort: context.ports === 'free' ? 0 : 7071,
    landingScan: { container: plan.config.containers.landing, queue: LANDING_EVENTS_QUEUE, intervalMs: plan.scanIntervalMs },
    functions: plan.placement === 'per-function' ? [...FUNCTION_GROUPS[ALWAYS_ON_GROUP], ...PER_INSTANCE_FUNCTIONS] : undefined,
    eventHubs: plan.fastLoadBalancing ? { loadBalancingUpdateIntervalMs: 1000, partitionOwnershipExpirationIntervalMs: 5000 } : undefined,
    queues: { processingVisibilitySeconds: LANDING_VISIBILITY_SECONDS },
    log: (level, message) => {
      if (level !== 'debug' && level !== 'trace') context.log(`[host] ${message}`);
    },
  });
  context.onClose(async () => {
    await host.close();
    await closeEtlRuntime();
  });
  return {
    info: { instanceId: 'host-1', pid: process.pid, functions: host.functions, httpUrl: host.httpUrl },
    registered: host.registered.map((fn) => fn.name),
  };
}

/** A child host under supervision; what it returns follows the current process across restarts. */
async function startChildHost(
  context: StackContext,
  plan: HostsPlan,
  instanceId: string,
  group: FunctionGroup | undefined,
): Promise<HostProcessInfo & { stop(): Promise<void> }> {
  const supervised = await superviseChild(context, instanceId, async () => {
    const extra = await startExtraHost({
      repositoryRoot: context.repositoryRoot,
      entryModule: plan.entryModule,
      hostId: HOST_ID,
      instanceId,
      settings: plan.settings,
      fastLoadBalancing: plan.fastLoadBalancing,
      functions: group === undefined ? undefined : [...FUNCTION_GROUPS[group], ...PER_INSTANCE_FUNCTIONS],
      queueVisibilitySeconds: LANDING_VISIBILITY_SECONDS,
      log: context.log,
    });
    context.log(
      `[host] instance ${instanceId} started (pid ${extra.pid}${extra.httpUrl ? `, metrics ${extra.httpUrl}/api/metrics` : ''}): ${extra.functions.join(', ')}`,
    );
    return extra;
  });
  return {
    instanceId,
    get pid() {
      return supervised.current.pid;
    },
    get functions() {
      return supervised.current.functions;
    },
    get httpUrl() {
      return supervised.current.httpUrl;
    },
    stop: async () => {
      await supervised.stop();
      await context.registry.remove(instanceId);
    },
  };
}

/** The function catalogue must place every function the app registers, or a placement would drop it. */
function checkCatalogue(registered: readonly string[]): void {
  const placed = new Set<string>([...Object.values(FUNCTION_GROUPS).flat(), ...PER_INSTANCE_FUNCTIONS]);
  const missing = registered.filter((name) => !placed.has(name));
  if (missing.length > 0) throw new Error(`functions ${missing.join(', ')} are in no group of shared/config/function-groups.ts`);
}
