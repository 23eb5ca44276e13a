/**
 * The instances the local scaler controls. The port is what the controller needs; the adapter runs
 * real Functions host processes (one in the caller's process is always there and counts as the first).
 */

/** Port: how many host instances run, and a way to change that. */
export interface InstancePool {
  count(): number;
  /** Starts or stops instances until `count` run; resolves when they are ready or gone. */
  scaleTo(count: number): Promise<void>;
}

/** A started instance that can be stopped (e.g. `startExtraHost`'s result). */
export interface StoppableInstance {
  stop(): Promise<void>;
}

/**
 * Host processes on top of a fixed number of instances that are not the pool's to stop (the
 * in-process host). Newest instances stop first; instance numbers are never reused, so each process
 * has its own owner id in the checkpoint store.
 */
export class HostProcessPool implements InstancePool {
  readonly #startInstance: (instanceNumber: number) => Promise<StoppableInstance>;
  readonly #fixed: number;
  readonly #running: StoppableInstance[] = [];
  #nextNumber: number;

  constructor(startInstance: (instanceNumber: number) => Promise<StoppableInstance>, options: { fixedInstances?: number } = {}) {
    this.#startInstance = startInstance;
    this.#fixed = options.fixedInstances ?? 1;
    this.#nextNumber = this.#fixed + 1;
  }

  count(): number {
    return this.#fixed + this.#running.length;
  }

  async scaleTo(count: number): Promise<void> {
    const target = Math.max(count, this.#fixed);
    if (target > this.count()) {
      const numbers = Array.from({ length: target - this.count() }, () => this.#nextNumber++);
      // Started side by side, as a platform adds instances; one that fails does not undo the others.
      const started = await Promise.allSettled(numbers.map((instanceNumber) => this.#startInstance(instanceNumber)));
      for (const result of started) if (result.status === 'fulfilled') this.#running.push(result.value);
      const failed = started.find((result): result is PromiseRejectedResult => result.status === 'rejected');
      if (failed) throw failed.reason;
    } else if (target < this.count()) {
      const stopping = this.#running.splice(target - this.#fixed);
      await Promise.all(stopping.reverse().map((instance) => instance.stop()));
    }
  }

  /** Stops every instance the pool started. */
  async close(): Promise<void> {
    await this.scaleTo(this.#fixed);
  }
}
