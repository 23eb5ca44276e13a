/**
 * The local Azure Functions host: loads the app's `@azure/functions` v4 registrations and runs them
 * on Azurite and the Event Hubs emulator with the triggers' Azure semantics. Connections and
 * binding expressions are read from `process.env`, like app settings in Azure: set them first.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { HostError, isHostError } from './host-error.js';
import { coreState, runHooks, type RegisteredFunction } from './functions-core-injection.js';
import { parseHostJson, type HostConfig, type HostJson } from './host-json.js';
import { HostStatsCounter, type HostStats } from './host-stats.js';
import { invokeRegisteredFunction, type HostLog, type InvocationRequest } from './invoke-function.js';
import { loadEntryModules } from './load-entry-modules.js';
import { BlobTriggerListener } from './listeners/blob-trigger-listener.js';
import { EventHubListener } from './listeners/event-hub-listener.js';
import { HttpListener } from './listeners/http-listener.js';
import { LandingScanner, type LandingScanOptions } from './listeners/landing-scanner.js';
import { StorageQueueListener } from './listeners/storage-queue-listener.js';
import { TimerListener } from './listeners/timer-listener.js';
import { describeError, sleep, type ListenerContext, type TriggerListener } from './listeners/trigger-listener.js';

export type { HostJson } from './host-json.js';
export type { HostStats } from './host-stats.js';

export interface LocalFunctionsHostOptions {
  /** Absolute paths or file URLs of the modules that call `app.*`. */
  readonly entryModules: readonly string[];
  /** Parsed host.json; Azure defaults apply to what it leaves out. */
  readonly hostJson?: HostJson;
  /** Shared by every process of one app (receipts, leases); default `local-functions-host`. */
  readonly hostId?: string;
  /** This process; default a random id. Used as Event Hubs partition owner id. */
  readonly instanceId?: string;
  /** Port of the HTTP trigger server; 0 (default) picks a free one. Only opened when http functions exist. */
  readonly httpPort?: number;
  /** The Event Grid stand-in: scan a container and enqueue BlobCreated events. Off unless given. */
  readonly landingScan?: LandingScanOptions | false;
  readonly eventHubs?: {
    readonly loadBalancingUpdateIntervalMs?: number;
    readonly partitionOwnershipExpirationIntervalMs?: number;
  };
  readonly blobs?: {
    /** How often blob triggers scan their container (default 1000 ms; Azure polls far less often). */
    readonly scanIntervalMs?: number;
  };
  readonly queues?: {
    /** How long a message stays invisible while its handler runs, renewed at half-time (default 600 s, as Azure). */
    readonly processingVisibilitySeconds?: number;
  };
  /** Only these functions run (default: all registered). */
  readonly functions?: readonly string[];
  /** Only functions with these trigger types run, e.g. `['httpTrigger', 'timerTrigger']` (case-insensitive; default: any). */
  readonly triggerTypes?: readonly string[];
  readonly log?: HostLog;
}

export interface LocalFunctionsHost {
  /** `http://127.0.0.1:<port>` when http functions run; requests go to `/api/<route>`. */
  readonly httpUrl?: string;
  /** Names of the functions this host runs. */
  readonly functions: readonly string[];
  /** Every function the entry modules register, with its trigger type (run here or not). */
  readonly registered: readonly { readonly name: string; readonly triggerType: string }[];
  stats(): HostStats;
  /** Stops listeners (in-flight invocations finish first) and runs appTerminate hooks. */
  close(): Promise<void>;
}

type ListenerFactory = (context: ListenerContext, options: LocalFunctionsHostOptions) => TriggerListener;

/**
 * Trigger types with a listener per function, by the binding type `@azure/functions` registers.
 * `httpTrigger` is not here: all http functions of a host share one server (`HttpListener`).
 */
const LISTENERS: Readonly<Record<string, ListenerFactory>> = {
  queuetrigger: (context, options) => new StorageQueueListener(context, options.queues ?? {}),
  eventhubtrigger: (context, options) => new EventHubListener(context, options.eventHubs ?? {}),
  timertrigger: (context) => new TimerListener(context),
  blobtrigger: (context, options) => new BlobTriggerListener(context, { scanIntervalMs: options.blobs?.scanIntervalMs }),
};

function defaultLog(level: string, message: string): void {
  const line = `${new Date().toISOString()} ${level.padEnd(11)} ${message}`;
  if (level === 'error' || level === 'critical') console.error(line);
  else if (level !== 'debug' && level !== 'trace') console.log(line);
}

function newTraceContext(): InvocationRequest['traceContext'] {
  return { traceParent: `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`, traceState: '', attributes: {} };
}

function triggerOf(fn: RegisteredFunction): [string, RegisteredFunction['metadata']['bindings'][string]] {
  const entry = Object.entries(fn.metadata.bindings).find(([, binding]) => /trigger$/i.test(binding.type));
  if (entry === undefined) throw new HostError('INVALID_CONFIG', `Function ${fn.metadata.name} has no trigger binding.`);
  return entry;
}

export async function startLocalFunctionsHost(options: LocalFunctionsHostOptions): Promise<LocalFunctionsHost> {
  const log = options.log ?? defaultLog;
  const config: HostConfig = parseHostJson(options.hostJson ?? {});
  const hostId = options.hostId ?? 'local-functions-host';
  const instanceId = options.instanceId ?? randomUUID();
  const state = coreState();
  state.systemLog = (level, message) => log(level, `[@azure/functions] ${message}`);

  const registered = await loadEntryModules(options.entryModules, (message) => log('warning', message));
  const stats = new HostStatsCounter();

  await runHooks('appStart', { hookData: {}, appHookData: state.appHookData, functionAppDirectory: process.cwd() });

  const plan = planListeners(selectFunctions(registered, options), { config, hostId, instanceId, log, stats }, options);
  const startup = await startListeners(plan.listeners, log);
  log('information', `Local functions host ${hostId}/${instanceId.slice(0, 8)} runs: ${plan.running.join(', ') || '(no functions)'}`);

  let closing: Promise<void> | undefined;
  return {
    // A getter: an http server that could not bind at first gets its URL when a retry succeeds.
    get httpUrl() {
      return plan.httpListener?.url;
    },
    functions: plan.running,
    registered: registered.map((fn) => ({ name: fn.metadata.name, triggerType: triggerOf(fn)[1].type })),
    stats: () => stats.snapshot(),
    close: () =>
      (closing ??= (async () => {
        await startup.stop();
        await runHooks('appTerminate', { hookData: {}, appHookData: state.appHookData });
      })()),
  };
}

/** The registered functions `options.functions` and `options.triggerTypes` let run here. */
function selectFunctions(registered: readonly RegisteredFunction[], options: LocalFunctionsHostOptions): RegisteredFunction[] {
  const triggerTypes = options.triggerTypes?.map((type) => type.toLowerCase());
  return registered.filter(
    (fn) =>
      (options.functions === undefined || options.functions.includes(fn.metadata.name)) &&
      (triggerTypes === undefined || triggerTypes.includes(triggerOf(fn)[1].type.toLowerCase())),
  );
}

/** What every function's listener shares in this host. */
interface HostScope {
  readonly config: HostConfig;
  readonly hostId: string;
  readonly instanceId: string;
  readonly log: HostLog;
  readonly stats: HostStatsCounter;
}

interface LabelledListener {
  readonly label: string;
  readonly listener: TriggerListener;
}

interface ListenerPlan {
  readonly listeners: readonly LabelledListener[];
  readonly httpListener: HttpListener | undefined;
  /** Names of the functions that run. */
  readonly running: string[];
}

/** A listener per selected function (one shared server for the http ones), and the landing scanner if asked for. */
function planListeners(selected: readonly RegisteredFunction[], scope: HostScope, options: LocalFunctionsHostOptions): ListenerPlan {
  const listeners: LabelledListener[] = [];
  const httpFunctions: ListenerContext[] = [];
  const running: string[] = [];
  for (const fn of selected) {
    const [triggerName, trigger] = triggerOf(fn);
    const name = fn.metadata.name;
    scope.stats.register(name);
    const { config, hostId, instanceId, log } = scope;
    const context: ListenerContext = { fn, triggerName, trigger, config, hostId, instanceId, log, invoke: invoker(fn, scope) };
    const type = trigger.type.toLowerCase();
    if (type === 'httptrigger') {
      httpFunctions.push(context);
      running.push(name);
      continue;
    }
    const factory = LISTENERS[type];
    if (factory === undefined) {
      log('warning', `Function ${name} has a ${trigger.type} trigger, which the local host does not run: skipped.`);
      continue;
    }
    listeners.push({ label: `function ${name}`, listener: factory(context, options) });
    running.push(name);
  }

  let httpListener: HttpListener | undefined;
  if (httpFunctions.length > 0) {
    httpListener = new HttpListener(httpFunctions, { port: options.httpPort ?? 0, routePrefix: scope.config.extensions.http.routePrefix });
    listeners.push({ label: 'the http server', listener: httpListener });
  }
  if (options.landingScan) {
    listeners.push({
      label: 'the landing scanner',
      listener: new LandingScanner({ ...options.landingScan, hostId: scope.hostId, log: scope.log }),
    });
  }
  return { listeners, httpListener, running };
}

/** Invokes `fn` as the host does: counted, traced, and flagged when it outlives functionTimeout. */
function invoker(fn: RegisteredFunction, { config, log, stats }: HostScope): ListenerContext['invoke'] {
  const name = fn.metadata.name;
  return async (request: InvocationRequest, items: number) => {
    stats.started(name, items);
    let failed = true;
    // Azure recycles the worker when a call outlives functionTimeout; here we can only say so.
    const overdue =
      config.functionTimeout === undefined
        ? undefined
        : setTimeout(
            () =>
              log(
                'error',
                `[${name}] an invocation has run longer than functionTimeout (${config.functionTimeout} ms); Azure would have stopped it.`,
              ),
            config.functionTimeout,
          );
    try {
      // Like the host, start a W3C trace per invocation unless the trigger carried one.
      const traced = request.traceContext === undefined ? { ...request, traceContext: newTraceContext() } : request;
      const outcome = await invokeRegisteredFunction(fn, traced, log);
      failed = false;
      return outcome;
    } finally {
      clearTimeout(overdue);
      stats.finished(name, { failed });
    }
  };
}

/**
 * Starts every listener. Like the Functions host, a listener that cannot start (storage or hub not
 * reachable yet) is logged and retried while the rest runs; a configuration error fails the start
 * at once. `stop` ends the retries and stops whatever started.
 */
async function startListeners(listeners: readonly LabelledListener[], log: HostLog): Promise<{ stop(): Promise<void> }> {
  const started = new Set<TriggerListener>();
  const stopRetrying = new AbortController();
  const retrying: Promise<void>[] = [];
  const retryStart = async (label: string, listener: TriggerListener): Promise<void> => {
    for (let delay = 2_000; !stopRetrying.signal.aborted; delay = Math.min(delay * 2, 60_000)) {
      await sleep(delay, stopRetrying.signal);
      if (stopRetrying.signal.aborted) return;
      try {
        await listener.start();
        started.add(listener);
        log('information', `${label} started after all`);
        return;
      } catch (error) {
        log('error', `${label} still cannot start, next attempt in ${Math.min(delay * 2, 60_000)} ms: ${describeError(error)}`);
      }
    }
  };
  for (const { label, listener } of listeners) {
    try {
      await listener.start();
      started.add(listener);
    } catch (error) {
      if (isHostError(error, 'INVALID_CONFIG')) {
        await Promise.allSettled([...started].map((running) => running.stop()));
        throw error;
      }
      log('error', `${label} cannot start, retrying in the background: ${describeError(error)}`);
      retrying.push(retryStart(label, listener));
    }
  }
  return {
    stop: async () => {
      stopRetrying.abort();
      await Promise.allSettled(retrying);
      const results = await Promise.allSettled([...started].map((listener) => listener.stop()));
      for (const result of results) {
        if (result.status === 'rejected') log('error', `A listener did not stop cleanly: ${String(result.reason)}`);
      }
    },
  };
}
