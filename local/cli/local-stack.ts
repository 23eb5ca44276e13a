/**
 * The embedded local stack in one call: Azurite, the Event Hubs emulator, SQLite and the local
 * Functions host running the app's own registrations. `npm start`, the end-to-end tests and the
 * benchmark all start the pipeline through here, so they run exactly the same thing.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import { startAzurite, type RunningAzurite } from '../azurite/start-azurite.js';
import { startEventHubsEmulator } from '../eventhubs-emulator/index.js';
import { startEmulatorProcess } from './emulator-process.js';
import { startLocalFunctionsHost } from '../host/local-functions-host.js';
import { APP_SETTINGS, EVENTHUB_CHECKPOINT_CONTAINER, LANDING_EVENTS_QUEUE } from '../../shared/config/app-settings.js';
import { hubSettings, loadEtlConfig, type EtlConfig } from '../../shared/config/etl-config.js';
import { FUNCTION_GROUPS, ALWAYS_ON_GROUP, PER_INSTANCE_FUNCTIONS, TRIGGERED_GROUPS, type FunctionGroup } from '../../shared/config/function-groups.js';
import { closeEtlRuntime } from '../../shared/runtime/etl-runtime.js';
import { pipelineEmulatorConfig } from './pipeline-hubs.js';
import { readHostJson } from './host-json.js';
import { startExtraHost, type HostProcessInfo } from './extra-host-processes.js';

export type { HostProcessInfo };
import { startPipelineAutoscaler, type PipelineAutoscaleOptions } from '../scaler/pipeline-autoscaler.js';
import type { LocalScaler } from '../scaler/local-scaler.js';

/** A process of the stack's storage or Event Hubs service (this one, when the emulator runs in-process). */
export interface ServiceProcessInfo {
  readonly service: 'azurite' | 'eventhubs';
  readonly pid: number;
}

export const FUNCTION_PLACEMENTS = ['shared', 'per-function'] as const;
export type FunctionPlacement = (typeof FUNCTION_PLACEMENTS)[number];

/**
 * The function groups that get processes of their own under 'per-function' placement: every group
 * of the app's catalogue but the always-on one, which the front process runs. Instance counts name
 * these groups and are checked before anything starts.
 */
export const OWN_PROCESS_GROUPS: readonly FunctionGroup[] = TRIGGERED_GROUPS;

export const REPOSITORY_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const FUNCTIONS_ENTRY = join(REPOSITORY_ROOT, 'functions', 'index.ts');

export interface LocalStackOptions {
  /** Folder for all state (Azurite data, event logs, SQLite file). Kept across restarts. */
  readonly stateDir: string;
  /** 'default' = the well-known ports (Azurite 10000–10002, AMQP 5672, HTTP 7071); 'free' = any free ports. */
  readonly ports?: 'default' | 'free';
  /** Partitions per hub. */
  readonly partitions?: number;
  /** How often the landing scanner lists the landing container. */
  readonly scanIntervalMs?: number;
  /** Extra settings (e.g. a smaller chunk size) put in the environment before the host starts. */
  readonly settings?: Readonly<Record<string, string>>;
  /** Host instances: 1 in this process plus `instances - 1` child processes (default 1). */
  readonly instances?: number;
  /**
   * Where functions run. 'shared' (default): every host process runs every function, as instances
   * of a Consumption-plan app do. 'per-function': as the Flex Consumption plan scales each function
   * on instances of its own (HTTP functions as one group), this process runs the HTTP and timer
   * functions and the landing scanner, and every other function runs in child processes of its own,
   * `instances` of each. Not combined with `autoscale`, which starts whole hosts.
   */
  readonly placement?: FunctionPlacement;
  /**
   * 'per-function' placement only: processes for the functions named here (e.g. `{ transform: 2 }`,
   * as Flex Consumption gives a busier function more instances); the others get `instances`.
   */
  readonly functionInstances?: Readonly<Record<string, number>>;
  /** 'process' (default): the emulator runs in its own process, on the other core; 'in-process' starts faster. */
  readonly emulator?: 'process' | 'in-process';
  /** Start the local Functions host (default true); false leaves only the services running. */
  readonly functionsHost?: boolean;
  /** Host shortcuts for tests: faster load balancing. */
  readonly fastLoadBalancing?: boolean;
  /**
   * Let the local scaler start and stop host processes from the hubs' lag (Functions or KEDA
   * formulas, `local/scaler/README.md`); `instances` is then only the starting count.
   */
  readonly autoscale?: PipelineAutoscaleOptions;
  readonly log?: (line: string) => void;
}

export interface LocalStack {
  /** The settings the app reads (also written to `<stateDir>/settings.json` for the CLI). */
  readonly settings: Readonly<Record<string, string>>;
  /** The same settings validated, as the app reads them: container, hub and consumer-group names. */
  readonly config: EtlConfig;
  readonly storageConnectionString: string;
  readonly eventHubsConnectionString: string;
  readonly httpUrl: string | undefined;
  readonly blobService: BlobServiceClient;
  /** The host processes started with the stack (this one first); those the scaler starts are not listed. */
  readonly hostProcesses: readonly HostProcessInfo[];
  /** Azurite and the Event Hubs emulator, for per-process measurements such as the benchmark's CPU time. */
  readonly serviceProcesses: readonly ServiceProcessInfo[];
  /** The running local scaler when `autoscale` was asked for (its `history` feeds load-test reports). */
  readonly scaler?: LocalScaler;
  close(): Promise<void>;
}

/** Where `npm start` keeps its state: git-ignored, so a restart resumes. */
export const DEFAULT_STATE_DIR = join(REPOSITORY_ROOT, '.local');

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const log = options.log ?? ((line: string) => console.log(line));
  const free = options.ports === 'free';
  const placement = options.placement ?? 'shared';
  if (placement === 'per-function' && options.autoscale) {
    throw new Error("autoscaling starts and stops whole host instances: use it with the 'shared' placement");
  }
  const functionInstances = options.functionInstances ?? {};
  if (placement !== 'per-function' && Object.keys(functionInstances).length > 0) {
    throw new Error(`instances per function (${Object.keys(functionInstances).join(', ')}) need the 'per-function' placement`);
  }
  const unknownFunctions = (known: readonly string[]) => {
    const unknown = Object.keys(functionInstances).filter((name) => !known.includes(name));
    if (unknown.length > 0) {
      throw new Error(`no function ${unknown.map((name) => `'${name}'`).join(', ')} runs in processes of its own; those that do: ${known.join(', ')}`);
    }
  };
  unknownFunctions(OWN_PROCESS_GROUPS);
  const stateDir = resolve(options.stateDir);
  // The names come from the settings the hosts will read, checked before anything starts.
  const hubs = hubSettings(options.settings);
  await mkdir(join(stateDir, 'azurite'), { recursive: true });
  await mkdir(join(stateDir, 'eventhubs'), { recursive: true });

  const closers: (() => Promise<void>)[] = [];
  const closeAll = async () => {
    for (const close of closers.reverse()) await close().catch((error: unknown) => log(`shutdown: ${(error as Error).message}`));
    closers.length = 0;
  };
  try {
    const azurite: RunningAzurite = await startAzurite({
      location: join(stateDir, 'azurite'),
      blobPort: free ? 0 : 10000,
      queuePort: free ? 0 : 10001,
      tablePort: free ? 0 : 10002,
    });
    closers.push(() => azurite.close());

    const emulatorConfig = pipelineEmulatorConfig(options.partitions ?? 4, hubs);
    const emulatorLog = (line: string) => log(`[eventhubs] ${line}`);
    const emulator: { connectionString: string; pid?: number; close(): Promise<void> } =
      options.emulator === 'in-process'
        ? await startEventHubsEmulator({ config: emulatorConfig, dataDir: join(stateDir, 'eventhubs'), port: free ? 0 : 5672, log: emulatorLog })
        : await startEmulatorProcess({
            repositoryRoot: REPOSITORY_ROOT,
            config: emulatorConfig,
            dataDir: join(stateDir, 'eventhubs'),
            port: free ? 0 : 5672,
            log: emulatorLog,
          });
    closers.push(() => emulator.close());
    const serviceProcesses: ServiceProcessInfo[] = [
      { service: 'azurite', pid: azurite.pid },
      { service: 'eventhubs', pid: emulator.pid ?? process.pid },
    ];

    const settings: Record<string, string> = {
      ...defaultSettings(),
      AzureWebJobsStorage: azurite.connectionString,
      ETL_EVENTHUB: emulator.connectionString,
      ETL_SQL_DRIVER: 'sqlite',
      ETL_SQLITE_PATH: join(stateDir, 'etl.sqlite'),
      ...options.settings,
    };
    const config = loadEtlConfig(settings);
    Object.assign(process.env, settings);
    await writeFile(join(stateDir, 'settings.json'), JSON.stringify(settings, null, 2) + '\n');

    const blobService = BlobServiceClient.fromConnectionString(azurite.connectionString);
    for (const name of [...Object.values(config.containers), EVENTHUB_CHECKPOINT_CONTAINER]) {
      await blobService.getContainerClient(name).createIfNotExists();
    }
    const queues = QueueServiceClient.fromConnectionString(azurite.connectionString);
    await queues.getQueueClient(LANDING_EVENTS_QUEUE).createIfNotExists();

    if (options.functionsHost === false) {
      return { settings, config, storageConnectionString: azurite.connectionString, eventHubsConnectionString: emulator.connectionString, httpUrl: undefined, blobService, hostProcesses: [], serviceProcesses, close: closeAll };
    }
    const hostJson = await readHostJson(join(REPOSITORY_ROOT, 'host.json'));
    const host = await startLocalFunctionsHost({
      entryModules: [FUNCTIONS_ENTRY],
      hostJson,
      hostId: 'scalable-etl-local',
      httpPort: free ? 0 : 7071,
      landingScan: { container: config.containers.landing, queue: LANDING_EVENTS_QUEUE, intervalMs: options.scanIntervalMs ?? 500 },
      functions: placement === 'per-function' ? [...FUNCTION_GROUPS[ALWAYS_ON_GROUP], ...PER_INSTANCE_FUNCTIONS] : undefined,
      eventHubs: options.fastLoadBalancing ? { loadBalancingUpdateIntervalMs: 1000, partitionOwnershipExpirationIntervalMs: 5000 } : undefined,
      log: (level, message) => {
        if (level !== 'debug' && level !== 'trace') log(`[host] ${message}`);
      },
    });
    closers.push(async () => {
      await host.close();
      await closeEtlRuntime();
    });
    const hostProcesses: HostProcessInfo[] = [{ instanceId: 'host-1', pid: process.pid, functions: host.functions, httpUrl: host.httpUrl }];
    const startInstance = async (instance: number, group?: FunctionGroup) => {
      const instanceId = group === undefined ? `host-${instance}` : `${group}-${instance}`;
      const functions = group === undefined ? undefined : [...FUNCTION_GROUPS[group], ...PER_INSTANCE_FUNCTIONS];
      const extra = await startExtraHost({
        repositoryRoot: REPOSITORY_ROOT,
        entryModule: FUNCTIONS_ENTRY,
        hostId: 'scalable-etl-local',
        instanceId,
        settings,
        fastLoadBalancing: options.fastLoadBalancing,
        functions,
        log,
      });
      log(`[host] instance ${instanceId} started (pid ${extra.pid}${extra.httpUrl ? `, metrics ${extra.httpUrl}/api/metrics` : ''}): ${extra.functions.join(', ')}`);
      return extra;
    };
    let scaler: LocalScaler | undefined;
    if (placement === 'per-function') {
      checkCatalogue(host.registered.map((fn) => fn.name));
      for (const group of OWN_PROCESS_GROUPS) {
        for (let instance = 1; instance <= (functionInstances[group] ?? options.instances ?? 1); instance += 1) {
          const extra = await startInstance(instance, group);
          closers.push(() => extra.stop());
          hostProcesses.push(extra);
        }
      }
    } else if (options.autoscale) {
      const running = await startPipelineAutoscaler({ autoscale: options.autoscale, settings, hubs: config.hubs, hostJson, initialInstances: options.instances ?? 1, startInstance: (instance) => startInstance(instance), log });
      closers.push(() => running.close());
      scaler = running.scaler;
    } else {
      for (let instance = 2; instance <= (options.instances ?? 1); instance += 1) {
        const extra = await startInstance(instance);
        closers.push(() => extra.stop());
        hostProcesses.push(extra);
      }
    }

    return {
      settings,
      config,
      storageConnectionString: azurite.connectionString,
      eventHubsConnectionString: emulator.connectionString,
      httpUrl: host.httpUrl,
      blobService,
      hostProcesses,
      serviceProcesses,
      scaler,
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/**
 * Every setting with a default: binding expressions such as %ETL_RECORDS_HUB% are resolved from the
 * environment by the host, as in Azure, where infra writes them all.
 */
function defaultSettings(): Record<string, string> {
  return Object.fromEntries(Object.entries(APP_SETTINGS).flatMap(([name, spec]) => ('default' in spec ? [[name, spec.default]] : [])));
}

/** The function catalogue must place every function the app registers, or a placement would drop it. */
function checkCatalogue(registered: readonly string[]): void {
  const placed = new Set<string>([...Object.values(FUNCTION_GROUPS).flat(), ...PER_INSTANCE_FUNCTIONS]);
  const missing = registered.filter((name) => !placed.has(name));
  if (missing.length > 0) throw new Error(`functions ${missing.join(', ')} are in no group of shared/config/function-groups.ts`);
}
