/**
 * This machine as the local stack uses it: every process — the front host (the CLI itself, which
 * uploads and runs the first host and the scaler), the scaled-out host processes, the Event Hubs
 * emulator and Azurite — shares the same cores, each process at most one core (one event loop).
 * The services' CPU is charged as the pipeline causes it; SQLite loads under one write lock, in the
 * loading process. Other work on the machine (other engineers' tests) can be given as background cores.
 */
import type { SimulationInputs } from '../calibration.js';
import type { EventQueue } from '../engine/event-queue.js';
import { SharedResource, type ShareGroup } from '../engine/shared-resource.js';
import type { Environment, Placement, ServiceWork } from './environment.js';

export class LocalEnvironment implements Environment {
  readonly name = 'local';
  readonly queue: EventQueue;
  readonly coreSpeed = 1;
  readonly transformClientMicrosPerRow = 0;
  readonly cores: SharedResource;
  readonly front: ShareGroup = { name: 'front', maxRate: 1 };
  readonly emulator: ShareGroup = { name: 'eventhubs', maxRate: 1 };
  readonly azurite: ShareGroup = { name: 'azurite', maxRate: 1 };
  readonly #inputs: SimulationInputs;
  readonly #processes = new Map<string, ShareGroup>();
  #locked = false;

  constructor(queue: EventQueue, inputs: SimulationInputs, options: { backgroundCores?: number } = {}) {
    this.queue = queue;
    this.#inputs = inputs;
    this.cores = new SharedResource(queue, 'machine cores', inputs.LOCAL_MACHINE.cores);
    const background = options.backgroundCores ?? 0;
    if (background > 0) this.cores.run({ name: 'other work on the machine', maxRate: background }, Infinity, () => undefined);
  }

  get resources(): readonly SharedResource[] {
    return [this.cores];
  }

  place(workerId: string, options: { readonly inFrontProcess?: boolean }): Placement {
    const process = options.inFrontProcess ? this.front : { name: workerId, maxRate: 1 };
    this.#processes.set(workerId, process);
    return { cores: this.cores, process };
  }

  release(workerId: string): void {
    this.#processes.delete(workerId);
  }

  /** CPU in a process of this machine. */
  run(process: ShareGroup, cpuSeconds: number, onDone: () => void): void {
    this.cores.run(process, cpuSeconds, onDone);
  }

  serviceWork(kind: ServiceWork, rows: number): void {
    const work = this.#inputs.WORK_PER_ROW;
    const [process, micros] = (
      {
        upload: [this.azurite, work.azuriteUpload],
        download: [this.azurite, work.azuriteDownload],
        publish: [this.emulator, work.emulatorIn],
        receive: [this.emulator, work.emulatorOut],
        checkpoint: [this.azurite, work.azuriteCheckpoints],
        front: [this.front, work.frontHost],
      } as const
    )[kind];
    if (rows > 0 && micros > 0) this.cores.run(process, (rows * micros) / 1e6, () => undefined);
  }

  /**
   * The uploader generates the file as it streams it (the calibrated commands upload generated
   * files), then Azurite stores the blocks; the blob is committed when both are through. The two
   * overlap block by block, so the wall time is about their sum split over two processes: modelled
   * as the uploader's part, then Azurite's.
   */
  upload(rows: number, onCommitted: () => void): void {
    const work = this.#inputs.WORK_PER_ROW;
    this.cores.run(this.front, (rows * (work.uploadClient + work.generator)) / 1e6, () =>
      this.cores.run(this.azurite, (rows * work.azuriteUpload) / 1e6, onCommitted),
    );
  }

  /** The landing scanner lists the container every interval from the start and enqueues what is new. */
  landingDelay(committedAt: number): number {
    const interval = this.#inputs.LOCAL_MACHINE.landingScanSeconds;
    return Math.ceil(committedAt / interval + 1e-9) * interval - committedAt;
  }

  publish(_publisher: string, _bytes: number, _events: number, onDone: () => void): void {
    this.queue.after(0, onDone);
  }

  receive(_reader: string, _bytes: number, _events: number, onDone: () => void): void {
    this.queue.after(0, onDone);
  }

  /**
   * Facts: SQLite's load under its one write lock, on the loading process's CPU, then its commit. A
   * writer that finds the lock taken sleeps in SQLite's busy handler and tries again on its schedule
   * (sqliteDefaultBusyCallback: 1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50 ms, then 100 ms); the lock
   * goes to whichever writer tries first after the release, not to the one that waited longest, and
   * stays free until then. Window merges are in the aggregate's CPU.
   */
  writeRows(placement: Placement, rows: number, kind: 'facts' | 'windows', onDone: () => void): void {
    if (kind === 'windows' || rows <= 0) {
      this.queue.after(0, onDone);
      return;
    }
    const work = this.#inputs.WORK_PER_ROW;
    const load = () => {
      this.#locked = true;
      this.cores.run(placement.process, (rows * work.sqliteLoad) / 1e6 + work.sqliteCommitSeconds, () => {
        this.#locked = false;
        onDone();
      });
    };
    const attempt = (tries: number) => {
      if (!this.#locked) {
        load();
        return;
      }
      this.queue.after(SQLITE_BUSY_DELAYS_MS[Math.min(tries, SQLITE_BUSY_DELAYS_MS.length - 1)]! / 1000, () => attempt(tries + 1));
    };
    attempt(0);
  }
}

/** SQLite's default busy handler's sleeps between tries, in ms (sqlite3.c, sqliteDefaultBusyCallback); 100 ms after the last. */
export const SQLITE_BUSY_DELAYS_MS = [1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100] as const;
