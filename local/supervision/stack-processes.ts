/**
 * The processes of a local stack, written down in its state folder (`processes.json`), so that the
 * next start can tell a stack that still runs from one that died: it refuses to share the folder
 * with a live stack, and ends the children a dead one left behind (ports and files held by an
 * Azurite nobody stops). Processes are told apart by pid and start time, so a recycled pid is never
 * taken for an old child.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface RecordedProcess {
  /** What it is: 'stack', 'azurite', 'eventhubs', or a host instance id. */
  readonly role: string;
  readonly pid: number;
  /** When the process started, as the system reports it; with the pid, identifies it. */
  readonly started: string;
}

interface ProcessesFile {
  readonly stack: RecordedProcess;
  readonly children: readonly RecordedProcess[];
}

const FILE_NAME = 'processes.json';
/** Roles whose clean stop saves state (Azurite's metadata, the emulator's logs): they get longer. */
const SERVICE_ROLES: readonly string[] = ['azurite', 'eventhubs'];
const HOST_GRACE_MS = 5_000;
const SERVICE_GRACE_MS = 30_000;

/** When `pid` started (system clock ticks since boot on Linux), or undefined when no such process runs. */
export function processStarted(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces: field 3 is the
    // state (Z: exited, not yet reaped), field 22 the start time.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] === 'Z' ? undefined : fields[19];
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && !isProcfs()) return startedByPs(pid);
    return undefined;
  }
}

function isProcfs(): boolean {
  try {
    readFileSync('/proc/self/stat');
    return true;
  } catch {
    return false;
  }
}

function startedByPs(pid: number): string | undefined {
  try {
    return execFileSync('ps', ['-o', 'lstart=', '-p', String(pid)], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

function isRunning(recorded: RecordedProcess): boolean {
  return processStarted(recorded.pid) === recorded.started;
}

function record(role: string, pid: number): RecordedProcess {
  const started = processStarted(pid);
  if (started === undefined) throw new Error(`process ${pid} (${role}) is not running`);
  return { role, pid, started };
}

export class StackProcessRegistry {
  readonly #file: string;
  readonly #stack: RecordedProcess;
  #children: RecordedProcess[] = [];
  /** Writes happen one after another, each with the whole list. */
  #writing: Promise<void> = Promise.resolve();

  private constructor(stateDir: string) {
    this.#file = join(stateDir, FILE_NAME);
    this.#stack = record('stack', process.pid);
  }

  /**
   * Takes the state folder for this process: refuses when another live stack uses it, ends the
   * children a dead one left and reports them through `log`: host processes first (SIGTERM, then
   * SIGKILL after 5 s), then Azurite and the emulator, whose clean stop saves their data and may wait
   * for the hosts' connections to close (SIGTERM, SIGKILL after 30 s).
   */
  static async claim(stateDir: string, log: (line: string) => void): Promise<StackProcessRegistry> {
    const previous = await readProcessesFile(join(stateDir, FILE_NAME));
    if (previous && previous.stack.pid !== process.pid && isRunning(previous.stack)) {
      throw new Error(
        `another local stack (pid ${previous.stack.pid}) is running with the state folder ${stateDir}; stop it first, or give another --state-dir`,
      );
    }
    const leftovers = (previous?.children ?? []).filter(isRunning);
    if (leftovers.length > 0) {
      await endProcesses(
        leftovers.filter((left) => !SERVICE_ROLES.includes(left.role)),
        HOST_GRACE_MS,
      );
      await endProcesses(
        leftovers.filter((left) => SERVICE_ROLES.includes(left.role)),
        SERVICE_GRACE_MS,
      );
      log(
        `[supervisor] ended ${leftovers.length} process(es) an earlier run left in ${stateDir}: ${leftovers.map((left) => `${left.role} (pid ${left.pid})`).join(', ')}`,
      );
    }
    const registry = new StackProcessRegistry(stateDir);
    await registry.#save();
    return registry;
  }

  /** Records a child (again after a restart: the entry with its role is replaced). */
  add(role: string, pid: number): Promise<void> {
    this.#children = [...this.#children.filter((child) => child.role !== role), record(role, pid)];
    return this.#save();
  }

  remove(role: string): Promise<void> {
    this.#children = this.#children.filter((child) => child.role !== role);
    return this.#save();
  }

  /** The stack stopped cleanly: nothing is left to find. */
  async release(): Promise<void> {
    await this.#writing;
    await rm(this.#file, { force: true });
  }

  #save(): Promise<void> {
    const content = JSON.stringify({ stack: this.#stack, children: this.#children } satisfies ProcessesFile, null, 2) + '\n';
    this.#writing = this.#writing.then(async () => {
      // Written aside and renamed, so a reader never sees half a file.
      await writeFile(`${this.#file}.tmp`, content);
      await rename(`${this.#file}.tmp`, this.#file);
    });
    return this.#writing;
  }
}

async function readProcessesFile(file: string): Promise<ProcessesFile | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as ProcessesFile;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    // A torn or foreign file says nothing about running processes.
    return undefined;
  }
}

async function endProcesses(processes: readonly RecordedProcess[], graceMs: number): Promise<void> {
  const signal = (recorded: RecordedProcess, name: NodeJS.Signals) => {
    try {
      process.kill(recorded.pid, name);
    } catch {
      // Gone in the meantime.
    }
  };
  for (const recorded of processes) signal(recorded, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (processes.some(isRunning) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  for (const recorded of processes.filter(isRunning)) signal(recorded, 'SIGKILL');
  const killDeadline = Date.now() + HOST_GRACE_MS;
  while (processes.some(isRunning) && Date.now() < killDeadline) await new Promise((resolve) => setTimeout(resolve, 50));
}
