/**
 * Processor sharing: a resource with a capacity (units per second: cores, rows, bytes) shared by the
 * jobs running on it. Jobs belong to groups — a process on a machine's cores, a session on the
 * database — and each group may take at most its own cap (a Node process runs JavaScript on one
 * core). The capacity is shared equally among the busy groups, what a capped group leaves over going
 * to the others (water-filling), and a group's share equally among its jobs. Rates change only when
 * a job starts or ends, so the next completion is known exactly and scheduled on the event queue.
 */
import type { EventQueue } from './event-queue.js';

export interface ShareGroup {
  readonly name: string;
  /** The most this group may take, in units per second (Infinity: no cap of its own). */
  readonly maxRate: number;
}

export interface ResourceJob {
  readonly group: ShareGroup;
  readonly work: number;
  /** Units left; exact after the resource's last update. */
  remaining: number;
  rate: number;
  readonly onDone: () => void;
}

/** A job this close to done (relative work, or a nanosecond at its rate) counts as done: float division is not exact. */
function isDone(job: ResourceJob): boolean {
  if (job.work === Infinity) return false;
  return job.remaining <= Math.max(1e-9 * Math.max(1, job.work), job.rate * 1e-9);
}

export class SharedResource {
  readonly name: string;
  readonly #queue: EventQueue;
  #capacity: number;
  readonly #jobs = new Set<ResourceJob>();
  /** The running jobs of each busy group. */
  readonly #groups = new Map<ShareGroup, Set<ResourceJob>>();
  #updatedAt: number;
  #version = 0;
  #usedUnits = 0;

  constructor(queue: EventQueue, name: string, capacity: number) {
    if (!(capacity >= 0)) throw new RangeError(`${name}: capacity must be ≥ 0, got ${capacity}`);
    this.#queue = queue;
    this.name = name;
    this.#capacity = capacity;
    this.#updatedAt = queue.now;
  }

  get capacity(): number {
    return this.#capacity;
  }

  /** Jobs running now. */
  get activeJobs(): number {
    return this.#jobs.size;
  }

  /** Units of work done since the start (Σ rate × time): divide by capacity × time for utilization. */
  get usedUnits(): number {
    this.#advance();
    return this.#usedUnits;
  }

  /** Units per second in use now. */
  get currentRate(): number {
    let rate = 0;
    for (const job of this.#jobs) rate += job.rate;
    return rate;
  }

  /** Starts `work` units for `group`; `onDone` runs at the simulated time the work is finished. */
  run(group: ShareGroup, work: number, onDone: () => void): ResourceJob {
    if (!(work >= 0)) throw new RangeError(`${this.name}: work must be ≥ 0, got ${work}`);
    this.#advance();
    const job: ResourceJob = { group, work, remaining: work, rate: 0, onDone };
    this.#add(job);
    this.#reallocate();
    return job;
  }

  /** Drops a job without running its callback. */
  cancel(job: ResourceJob): void {
    this.#advance();
    if (this.#remove(job)) this.#reallocate();
  }

  setCapacity(capacity: number): void {
    this.#advance();
    this.#capacity = Math.max(0, capacity);
    this.#reallocate();
  }

  #advance(): void {
    const now = this.#queue.now;
    const elapsed = now - this.#updatedAt;
    if (elapsed > 0) {
      for (const job of this.#jobs) {
        const done = Math.min(job.remaining, job.rate * elapsed);
        job.remaining -= done;
        this.#usedUnits += done;
      }
    }
    this.#updatedAt = now;
  }

  #add(job: ResourceJob): void {
    this.#jobs.add(job);
    const members = this.#groups.get(job.group);
    if (members) members.add(job);
    else this.#groups.set(job.group, new Set([job]));
  }

  #remove(job: ResourceJob): boolean {
    if (!this.#jobs.delete(job)) return false;
    const members = this.#groups.get(job.group)!;
    members.delete(job);
    if (members.size === 0) this.#groups.delete(job.group);
    return true;
  }

  #reallocate(): void {
    const groups = [...this.#groups.keys()];
    let lowestCap = Infinity;
    for (const group of groups) lowestCap = Math.min(lowestCap, group.maxRate);
    const share = new Map<ShareGroup, number>();
    if (groups.length > 0 && lowestCap >= this.#capacity / groups.length) {
      // No group is held below an equal share: the usual case, without sorting.
      for (const group of groups) share.set(group, this.#capacity / groups.length);
    } else {
      // Water-filling: groups whose cap is below an equal share take their cap; the rest share what is left.
      let left = this.#capacity;
      const open = groups.sort((a, b) => a.maxRate - b.maxRate);
      while (open.length > 0) {
        const equal = left / open.length;
        const capped = open[0]!;
        if (capped.maxRate < equal) {
          share.set(capped, capped.maxRate);
          left -= capped.maxRate;
          open.shift();
          continue;
        }
        for (const group of open) share.set(group, equal);
        break;
      }
    }
    for (const [group, members] of this.#groups) {
      const rate = share.get(group)! / members.size;
      for (const job of members) job.rate = rate;
    }
    this.#schedule();
  }

  #schedule(): void {
    const version = ++this.#version;
    let soonest = Infinity;
    for (const job of this.#jobs) {
      if (isDone(job)) soonest = 0;
      else if (job.rate > 0) soonest = Math.min(soonest, job.remaining / job.rate);
    }
    if (soonest === Infinity) return;
    this.#queue.after(soonest, () => {
      if (version !== this.#version) return;
      this.#advance();
      const finished = [...this.#jobs].filter(isDone);
      for (const job of finished) this.#remove(job);
      this.#reallocate();
      for (const job of finished) job.onDone();
    });
  }
}
