/**
 * The embedded local stack in one call: Azurite, the Event Hubs emulator, SQLite and the local
 * Functions host running the app's own registrations. `npm start`, the end-to-end tests and the
 * benchmark all start the pipeline through here, so they run exactly the same thing.
 *
 * Every child process runs under supervision (docs/local-stack.md): a death is logged at once and the
 * child is started again with backoff; one that keeps dying stops the whole stack (`failure`). The
 * processes are written down in the state folder, so that the next start ends what a stack killed
 * without warning left behind.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import { APP_SETTINGS, EVENTHUB_CHECKPOINT_CONTAINER, LANDING_EVENTS_QUEUE } from '../../shared/config/app-settings.js';
import { hubSettings, loadEtlConfig, type EtlConfig } from '../../shared/config/etl-config.js';
import { ChildSupervisor } from '../supervision/child-supervisor.js';
import type { RestartPolicy } from '../supervision/restart-policy.js';
import { StackProcessRegistry } from '../supervision/stack-processes.js';
import type { PipelineAutoscaleOptions } from '../scaler/pipeline-autoscaler.js';
import type { LocalScaler } from '../scaler/local-scaler.js';
import type { HostProcessInfo } from './extra-host-processes.js';
import { readHostJson } from './host-json.js';
import { pipelineEmulatorConfig } from './pipeline-hubs.js';
import { LANDING_VISIBILITY_SECONDS, OWN_PROCESS_GROUPS, startHosts } from './stack-hosts.js';
import { redeliverRecentLandings } from '../host/listeners/landing-scanner.js';
import { startServices, type RunningServices, type ServiceProcessInfo, type StackContext } from './stack-services.js';

export type { HostProcessInfo, ServiceProcessInfo };
export { OWN_PROCESS_GROUPS };

export const FUNCTION_PLACEMENTS = ['shared', 'per-function'] as const;
export type FunctionPlacement = (typeof FUNCTION_PLACEMENTS)[number];

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
   * functions and the landing scanner, and every other function group runs in child processes of
   * its own, `instances` of each. Not combined with `autoscale`, which starts whole hosts.
   */
  readonly placement?: FunctionPlacement;
  /**
   * 'per-function' placement only: processes for the groups named here (e.g. `{ transform: 2 }`,
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
  /** When dead children are started again, and when the stack gives up (tests shorten it). */
  readonly restartPolicy?: Partial<RestartPolicy>;
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
  /** The host processes started with the stack (this one first); those the scaler starts are not listed. Pids follow restarts. */
  readonly hostProcesses: readonly HostProcessInfo[];
  /** Azurite and the Event Hubs emulator, for per-process measurements such as the benchmark's CPU time. */
  readonly serviceProcesses: readonly ServiceProcessInfo[];
  /** The running local scaler when `autoscale` was asked for (its `history` feeds load-test reports). */
  readonly scaler?: LocalScaler;
  /** Settles when a child kept dying and the stack stopped itself; it never settles otherwise. */
  readonly failure: Promise<Error>;
  close(): Promise<void>;
}

/**
 * How far back a killed Azurite may have lost acknowledged writes: it saves every 5 s, and
 * Last-Modified has whole seconds, so twice that.
 */
const AZURITE_UNSAVED_MS = 10_000;

/** Where `npm start` keeps its state: git-ignored, so a restart resumes. */
export const DEFAULT_STATE_DIR = join(REPOSITORY_ROOT, '.local');

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  checkPlacement(options);
  const log = options.log ?? ((line: string) => console.log(line));
  const stateDir = resolve(options.stateDir);
  // The names come from the settings the hosts will read, checked before anything starts.
  const hubs = hubSettings(options.settings);
  await mkdir(join(stateDir, 'azurite'), { recursive: true });
  await mkdir(join(stateDir, 'eventhubs'), { recursive: true });
  const registry = await StackProcessRegistry.claim(stateDir, log);
  const { context, failure, close } = superviseStack(stateDir, registry, options, log);
  try {
    const services = await startServices(context, pipelineEmulatorConfig(options.partitions ?? 4, hubs), options.emulator ?? 'process');
    const settings = stackSettings(stateDir, services, options.settings);
    const config = loadEtlConfig(settings);
    Object.assign(process.env, settings);
    await writeFile(join(stateDir, 'settings.json'), JSON.stringify(settings, null, 2) + '\n');
    const blobService = await createStorageResources(services.storageConnectionString, config);
    services.onStorageRestart(async (diedAt) => {
      const sent = await redeliverRecentLandings({
        connectionString: services.storageConnectionString,
        container: config.containers.landing,
        queue: LANDING_EVENTS_QUEUE,
        since: new Date(diedAt.getTime() - AZURITE_UNSAVED_MS),
      });
      for (const name of sent) log(`[azurite] restarted: landing event of ${name} sent again (Azurite may have lost it)`);
    });
    const stack = { ...services, settings, config, blobService, failure, close };
    if (options.functionsHost === false) return { ...stack, httpUrl: undefined, hostProcesses: [] };
    const hosts = await startHosts(context, {
      entryModule: FUNCTIONS_ENTRY,
      hostJson: await readHostJson(join(REPOSITORY_ROOT, 'host.json')),
      settings,
      config,
      placement: options.placement ?? 'shared',
      instances: options.instances ?? 1,
      functionInstances: options.functionInstances ?? {},
      autoscale: options.autoscale,
      scanIntervalMs: options.scanIntervalMs ?? 500,
      fastLoadBalancing: options.fastLoadBalancing ?? false,
    });
    return { ...stack, ...hosts };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * The supervisor every child runs under, and the stack's one shutdown: closers run last added
 * first, the registry's release last of all; a child that keeps dying closes the stack and
 * settles `failure`.
 */
function superviseStack(
  stateDir: string,
  registry: StackProcessRegistry,
  options: LocalStackOptions,
  log: (line: string) => void,
): { context: StackContext; failure: Promise<Error>; close: () => Promise<void> } {
  const closers: (() => Promise<void>)[] = [() => registry.release()];
  let reportFailure: (error: Error) => void = () => {};
  const failure = new Promise<Error>((resolveFailure) => (reportFailure = resolveFailure));
  const supervisor = new ChildSupervisor({
    log,
    policy: options.restartPolicy,
    onGiveUp: (error) => {
      log(`[supervisor] ${error.message}`);
      void close().then(() => reportFailure(error));
    },
  });
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      // Deliberate stops from here on are not deaths.
      supervisor.close();
      for (const closer of closers.reverse()) await closer().catch((error: unknown) => log(`shutdown: ${(error as Error).message}`));
    })());
  const context: StackContext = {
    repositoryRoot: REPOSITORY_ROOT,
    stateDir,
    ports: options.ports ?? 'default',
    supervisor,
    registry,
    log,
    onClose: (closer) => closers.push(closer),
  };
  return { context, failure, close };
}

/** The settings the app reads: every default, the services' connections and the SQLite file, then the caller's. */
function stackSettings(
  stateDir: string,
  services: RunningServices,
  extra: Readonly<Record<string, string>> | undefined,
): Record<string, string> {
  return {
    ...defaultSettings(),
    AzureWebJobsStorage: services.storageConnectionString,
    ETL_EVENTHUB: services.eventHubsConnectionString,
    ETL_SQL_DRIVER: 'sqlite',
    ETL_SQLITE_PATH: join(stateDir, 'etl.sqlite'),
    // A killed extract's message is back within the local 30 s visibility, so a lost one shows sooner than in Azure.
    ETL_EXTRACT_STALLED_AFTER_SECONDS: String(4 * LANDING_VISIBILITY_SECONDS),
    ...extra,
  };
}

/** Placement and instance counts that cannot work are refused before anything starts. */
function checkPlacement(options: LocalStackOptions): void {
  const placement = options.placement ?? 'shared';
  if (placement === 'per-function' && options.autoscale) {
    throw new Error("autoscaling starts and stops whole host instances: use it with the 'shared' placement");
  }
  const named = Object.keys(options.functionInstances ?? {});
  if (placement !== 'per-function' && named.length > 0) {
    throw new Error(`instances per function (${named.join(', ')}) need the 'per-function' placement`);
  }
  const unknown = named.filter((name) => !(OWN_PROCESS_GROUPS as readonly string[]).includes(name));
  if (unknown.length > 0) {
    throw new Error(
      `no function ${unknown.map((name) => `'${name}'`).join(', ')} runs in processes of its own; those that do: ${OWN_PROCESS_GROUPS.join(', ')}`,
    );
  }
}

/**
 * Every setting with a default: binding expressions such as %ETL_RECORDS_HUB% are resolved from the
 * environment by the host, as in Azure, where infra writes them all.
 */
function defaultSettings(): Record<string, string> {
  return Object.fromEntries(Object.entries(APP_SETTINGS).flatMap(([name, spec]) => ('default' in spec ? [[name, spec.default]] : [])));
}

/** Settings the local stack decides itself: its connections and its database. */
const STACK_OWNED_SETTINGS: readonly string[] = ['AzureWebJobsStorage', 'ETL_EVENTHUB', 'ETL_SQL_DRIVER', 'ETL_SQLITE_PATH'];

/**
 * The app settings in `env` that apply everywhere (`scope: 'all'`: hub names, chunk sizes, retries),
 * for `npm start` to pass on, as the app would read them; the stack's own connections are left out.
 */
export function appSettingsFromEnvironment(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return Object.fromEntries(
    Object.entries(APP_SETTINGS).flatMap(([name, spec]) => {
      const value = env[name];
      return spec.scope === 'all' && !STACK_OWNED_SETTINGS.includes(name) && value !== undefined && value.trim() !== ''
        ? [[name, value]]
        : [];
    }),
  );
}

/** The containers and the landing queue the configuration names. */
async function createStorageResources(connectionString: string, config: EtlConfig): Promise<BlobServiceClient> {
  const blobService = BlobServiceClient.fromConnectionString(connectionString);
  for (const name of [...Object.values(config.containers), EVENTHUB_CHECKPOINT_CONTAINER]) {
    await blobService.getContainerClient(name).createIfNotExists();
  }
  await QueueServiceClient.fromConnectionString(connectionString).getQueueClient(LANDING_EVENTS_QUEUE).createIfNotExists();
  return blobService;
}
