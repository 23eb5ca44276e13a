/**
 * Keeps the local stack's child processes running: a death is reported at once with its exit code
 * or signal, the child is started again after a backoff (`restart-policy.ts`), and a child that keeps
 * dying makes the supervisor give up, so the stack can stop with a clear message instead of
 * limping on. Deliberate stops are not deaths.
 */
import { sleep } from '../host/listeners/trigger-listener.js';
import { DEFAULT_RESTART_POLICY, decideRestart, type RestartPolicy } from './restart-policy.js';

/** How a process ended. */
export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export function describeExit(exit: ChildExit): string {
  return exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`;
}

/** A running child process as the supervisor needs it. */
export interface SupervisedChild {
  readonly pid: number;
  /** Settles when the process has exited, whatever the reason. */
  readonly exited: Promise<ChildExit>;
  /** Stops it (gracefully, then by force) and waits until it is gone. */
  stop(): Promise<void>;
  /** Its last lines of output, for the message when it keeps dying. */
  recentOutput?(): readonly string[];
}

/** A supervised child: `current` is a new process after each restart. */
export interface Supervised<T extends SupervisedChild> {
  readonly name: string;
  readonly current: T;
  readonly restarts: number;
  /** Stops watching it, then stops it. */
  stop(): Promise<void>;
}

/** What a caller of `supervise` is told about the processes it starts. */
export interface SuperviseHooks<T extends SupervisedChild> {
  /** Sees every process started, the first included (and is awaited for the first). */
  readonly onStart?: (child: T) => Promise<void> | void;
  /**
   * Sees each process started after a death, with the time that death was seen, once it is adopted
   * and only while still watching, so nothing is started against a child being stopped. Not awaited:
   * the restart is done when the child runs, and a slow hook must not hold up `stop()`.
   */
  readonly onRestart?: (child: T, diedAt: Date) => Promise<void> | void;
}

export interface ChildSupervisorOptions {
  readonly log: (line: string) => void;
  readonly policy?: Partial<RestartPolicy>;
  /** Called once, when a child died more often than the policy allows; nothing is restarted after that. */
  readonly onGiveUp: (error: Error) => void;
  readonly now?: () => number;
}

export class ChildSupervisor {
  readonly #log: (line: string) => void;
  readonly #policy: RestartPolicy;
  readonly #onGiveUp: (error: Error) => void;
  readonly #now: () => number;
  /** Aborted by `close()` or a give-up: pending restarts are dropped. */
  readonly #closed = new AbortController();

  constructor(options: ChildSupervisorOptions) {
    this.#log = options.log;
    this.#policy = { ...DEFAULT_RESTART_POLICY, ...options.policy };
    this.#onGiveUp = options.onGiveUp;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Starts a child with `start` and keeps it running. The first start's failure is thrown; later
   * ones count as deaths.
   */
  async supervise<T extends SupervisedChild>(name: string, start: () => Promise<T>, hooks: SuperviseHooks<T> = {}): Promise<Supervised<T>> {
    const entry = new SupervisedEntry(name, start, hooks, this);
    await entry.startFirst();
    return entry;
  }

  /** Stops watching every child (a stack that is shutting down stops them itself). */
  close(): void {
    this.#closed.abort();
  }

  /** @internal What to do after `entry` died. */
  async handleDeath<T extends SupervisedChild>(entry: SupervisedEntry<T>, dead: T | undefined, cause: string): Promise<void> {
    const now = this.#now();
    entry.deathTimes.push(now);
    // A start that failed is counted, but only a process's death is when its work may have been lost.
    if (dead) entry.diedAt = new Date(now);
    const decision = decideRestart(entry.deathTimes, now, this.#policy);
    const who = dead ? `${entry.name} (pid ${dead.pid})` : entry.name;
    if (!decision.restart) {
      const output = dead?.recentOutput?.() ?? [];
      const tail = output.length > 0 ? `\n  its last output:\n    ${output.join('\n    ')}` : '';
      const error = new Error(
        `${entry.name} died ${decision.recentDeaths} times within ${Math.round(this.#policy.windowMs / 1000)} s (last: ${cause}); stopping the stack${tail}`,
      );
      this.#log(`[supervisor] ${who} ${dead ? 'died' : 'did not start'}: ${cause}`);
      this.close();
      this.#onGiveUp(error);
      return;
    }
    this.#log(
      `[supervisor] ${who} ${dead ? 'died' : 'did not start'}: ${cause}; restarting in ${formatSeconds(decision.delayMs)} (death ${decision.recentDeaths} of ${this.#policy.maxDeaths} allowed within ${Math.round(this.#policy.windowMs / 1000)} s)`,
    );
    await sleep(decision.delayMs, AbortSignal.any([this.#closed.signal, entry.stopping.signal]));
    if (this.watching(entry)) await entry.restart();
  }

  /** @internal */
  watching(entry: { readonly stopping: AbortController }): boolean {
    return !this.#closed.signal.aborted && !entry.stopping.signal.aborted;
  }

  /** @internal */
  log(line: string): void {
    this.#log(line);
  }
}

class SupervisedEntry<T extends SupervisedChild> implements Supervised<T> {
  readonly deathTimes: number[] = [];
  /** When the last process (not a failed start) died. */
  diedAt: Date | undefined;
  readonly stopping = new AbortController();
  restarts = 0;
  #current: T | undefined;
  /** A restart under way, so that `stop()` can wait for it and stop what it started. */
  #restarting: Promise<void> | undefined;

  constructor(
    readonly name: string,
    private readonly start: () => Promise<T>,
    private readonly hooks: SuperviseHooks<T>,
    private readonly supervisor: ChildSupervisor,
  ) {}

  get current(): T {
    if (this.#current === undefined) throw new Error(`${this.name} has not started`);
    return this.#current;
  }

  async startFirst(): Promise<void> {
    await this.#adopt(await this.start());
  }

  async restart(): Promise<void> {
    const attempt = (async () => {
      let child: T;
      try {
        child = await this.start();
      } catch (error) {
        if (this.supervisor.watching(this)) void this.supervisor.handleDeath(this, undefined, (error as Error).message);
        return;
      }
      if (!this.supervisor.watching(this)) {
        await child.stop();
        return;
      }
      this.restarts += 1;
      this.supervisor.log(`[supervisor] ${this.name} is running again (pid ${child.pid})`);
      await this.#adopt(child).catch((error: unknown) => this.supervisor.log(`[supervisor] ${this.name}: ${(error as Error).message}`));
      const { onRestart } = this.hooks;
      const diedAt = this.diedAt;
      if (onRestart === undefined || diedAt === undefined || !this.supervisor.watching(this)) return;
      void Promise.resolve()
        .then(() => onRestart(child, diedAt))
        .catch((error: unknown) => this.supervisor.log(`[supervisor] ${this.name} after its restart: ${(error as Error).message}`));
    })();
    this.#restarting = attempt;
    await attempt;
    this.#restarting = undefined;
  }

  async #adopt(child: T): Promise<void> {
    this.#current = child;
    void child.exited.then((exit) => {
      if (this.supervisor.watching(this) && this.#current === child) void this.supervisor.handleDeath(this, child, describeExit(exit));
    });
    await this.hooks.onStart?.(child);
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.#restarting;
    await this.#current?.stop();
  }
}

function formatSeconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${Number((ms / 1000).toFixed(1))} s`;
}
