/**
 * The local stack's storage and Event Hubs services, started under supervision: Azurite and (unless
 * it runs in this process) the Event Hubs emulator are watched and started again on the same ports
 * and state when they die, so the connection strings every host holds stay valid.
 */
import { join } from 'node:path';
import { startAzurite, type RunningAzurite } from '../azurite/start-azurite.js';
import { startEventHubsEmulator, type EmulatorConfig } from '../eventhubs-emulator/index.js';
import type { ChildSupervisor, Supervised, SupervisedChild } from '../supervision/child-supervisor.js';
import type { StackProcessRegistry } from '../supervision/stack-processes.js';
import { startEmulatorProcess, type EmulatorProcess } from './emulator-process.js';

/** A process of the stack's storage or Event Hubs service (this one, when the emulator runs in-process). */
export interface ServiceProcessInfo {
  readonly service: 'azurite' | 'eventhubs';
  /** The current process: a new one after a restart. */
  readonly pid: number;
}

/** What starting children needs: where state lives, who watches them, where they are written down. */
export interface StackContext {
  readonly repositoryRoot: string;
  readonly stateDir: string;
  /** 'free': any free ports on the first start (restarts keep them). */
  readonly ports: 'default' | 'free';
  readonly supervisor: ChildSupervisor;
  readonly registry: StackProcessRegistry;
  readonly log: (line: string) => void;
  /** Runs at shutdown, last added first. */
  onClose(close: () => Promise<void>): void;
}

export interface RunningServices {
  readonly storageConnectionString: string;
  readonly eventHubsConnectionString: string;
  readonly serviceProcesses: readonly ServiceProcessInfo[];
  /**
   * Sets what runs with the time Azurite died, each time it is running again after a death (set
   * here because what it needs is only known once the services run).
   */
  onStorageRestart(listener: (diedAt: Date) => Promise<void>): void;
}

/**
 * Supervises `start`'s process under `role`, records each of its processes, and stops it at shutdown;
 * `onRestart` is the supervisor's (after a restart, while still watching).
 */
export async function superviseChild<T extends SupervisedChild>(
  context: StackContext,
  role: string,
  start: () => Promise<T>,
  onRestart?: (child: T, diedAt: Date) => Promise<void>,
): Promise<Supervised<T>> {
  const supervised = await context.supervisor.supervise(role, start, {
    onStart: (child) => context.registry.add(role, child.pid),
    onRestart,
  });
  context.onClose(async () => {
    await supervised.stop();
    await context.registry.remove(role);
  });
  return supervised;
}

export async function startServices(
  context: StackContext,
  emulatorConfig: EmulatorConfig,
  emulatorMode: 'process' | 'in-process',
): Promise<RunningServices> {
  let storageRestarted: ((diedAt: Date) => Promise<void>) | undefined;
  const azurite = await superviseAzurite(context, async (diedAt) => {
    await storageRestarted?.(diedAt).catch((error: unknown) => context.log(`[azurite] after its restart: ${(error as Error).message}`));
  });
  const eventHubs =
    emulatorMode === 'in-process'
      ? await startEmulatorInProcess(context, emulatorConfig)
      : await superviseEmulator(context, emulatorConfig);
  return {
    storageConnectionString: azurite.current.running.connectionString,
    eventHubsConnectionString: eventHubs.connectionString,
    serviceProcesses: [
      {
        service: 'azurite',
        get pid() {
          return azurite.current.pid;
        },
      },
      eventHubs.process,
    ],
    onStorageRestart: (listener) => (storageRestarted = listener),
  };
}

/** The Event Hubs emulator's connection string and the process that serves it. */
interface EventHubsService {
  readonly connectionString: string;
  readonly process: ServiceProcessInfo;
}

const emulatorDataDir = (context: StackContext) => join(context.stateDir, 'eventhubs');
const emulatorLog = (context: StackContext) => (line: string) => context.log(`[eventhubs] ${line}`);

/** Azurite under supervision; a restart keeps the ports the first start got, and is announced to `restarted`. */
async function superviseAzurite(
  context: StackContext,
  restarted: (diedAt: Date) => Promise<void>,
): Promise<Supervised<SupervisedChild & { readonly running: RunningAzurite }>> {
  const location = join(context.stateDir, 'azurite');
  let ports =
    context.ports === 'free' ? { blobPort: 0, queuePort: 0, tablePort: 0 } : { blobPort: 10000, queuePort: 10001, tablePort: 10002 };
  return superviseChild(
    context,
    'azurite',
    async () => {
      const running = await startAzurite({ location, ...ports });
      ports = { blobPort: running.blobPort, queuePort: running.queuePort, tablePort: running.tablePort };
      return asChild(running);
    },
    (_child, diedAt) => restarted(diedAt),
  );
}

/** The emulator in this process: it stops at shutdown, and nothing restarts it. */
async function startEmulatorInProcess(context: StackContext, emulatorConfig: EmulatorConfig): Promise<EventHubsService> {
  const emulator = await startEventHubsEmulator({
    config: emulatorConfig,
    dataDir: emulatorDataDir(context),
    port: context.ports === 'free' ? 0 : 5672,
    log: emulatorLog(context),
  });
  context.onClose(() => emulator.close());
  return { connectionString: emulator.connectionString, process: { service: 'eventhubs', pid: process.pid } };
}

/** The emulator as a supervised child process; a restart keeps the port the first start got. */
async function superviseEmulator(context: StackContext, emulatorConfig: EmulatorConfig): Promise<EventHubsService> {
  let port = context.ports === 'free' ? 0 : 5672;
  const emulator = await superviseChild(context, 'eventhubs', async () => {
    const running = await startEmulatorProcess({
      repositoryRoot: context.repositoryRoot,
      config: emulatorConfig,
      dataDir: emulatorDataDir(context),
      port,
      log: emulatorLog(context),
    });
    port = running.port;
    return asChild(running);
  });
  return {
    connectionString: emulator.current.running.connectionString,
    process: {
      service: 'eventhubs',
      get pid() {
        return emulator.current.pid;
      },
    },
  };
}

/** A service process as the supervisor sees it, with the service's own handle beside. */
function asChild<T extends RunningAzurite | EmulatorProcess>(running: T): SupervisedChild & { readonly running: T } {
  return { running, pid: running.pid, exited: running.exited, recentOutput: running.recentOutput, stop: () => running.close() };
}
