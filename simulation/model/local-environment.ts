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
  readonly #lock: (() => void)[] = [];
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
    this.cores.run(this.front, (rows * (work.uploadClient + work.generator)) / 1e6, () => this.cores.run(this.azurite, (rows * work.azuriteUpload) / 1e6, onCommitted));
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
   * Facts: SQLite's load under its one write lock, on the loading process's CPU. A process that finds
   * the lock taken sleeps in SQLite's busy handler and takes it at its next try after the release.
   * Window merges are in the aggregate's CPU.
   */
  writeRows(placement: Placement, rows: number, kind: 'facts' | 'windows', onDone: () => void): void {
    if (kind === 'windows' || rows <= 0) {
      this.queue.after(0, onDone);
      return;
    }
    const load = (waited: boolean) => {
      this.#locked = true;
      const start = () =>
        this.cores.run(placement.process, (rows * this.#inputs.WORK_PER_ROW.sqliteLoad) / 1e6 + this.#inputs.WORK_PER_ROW.sqliteCommitSeconds, () => {
          this.#locked = false;
          this.#lock.shift()?.();
          onDone();
        });
      if (waited) this.queue.after(this.#inputs.LOCAL_MACHINE.sqliteBusyRetrySeconds, start);
      else start();
    };
    if (this.#locked) this.#lock.push(() => load(true));
    else load(false);
  }
}
