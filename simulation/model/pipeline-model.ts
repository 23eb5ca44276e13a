/**
 * The pipeline as the simulation sees it: files land, their BlobCreated messages wait on the
 * landing queue, extract instances take them and publish chunk events to the `records` partitions,
 * transform instances take batches from the partitions they own, load them in transactions and
 * publish partials to `aggregates`, and aggregate instances merge those. Each step asks the
 * environment for the work it needs; the batching, checkpointing and partition rules are the app's
 * own (host.json, the app settings, the Event Hubs processor). Scaling platforms start and drain
 * workers from outside (platforms/).
 */
import type { SimulationInputs } from '../calibration.js';
import { planTransactions } from '../../shared/handlers/transaction-plan.js';
import type { ChunkLoadInput } from '../../shared/ports/etl-store.js';
import { iotEventsDataset } from '../../shared/datasets/iot-events.js';
import type { ShareGroup } from '../engine/shared-resource.js';
import type { Environment, Placement } from './environment.js';
import { SimulatedHub, balancePartitions, type SimulatedEvent, type SimulatedPartition } from './event-hub.js';
import type { SimulatedFile } from './workloads.js';

export type FunctionName = 'extract' | 'transform' | 'aggregate';
export type WorkerState = 'starting' | 'ready' | 'draining' | 'stopped';

export interface FileProgress {
  readonly file: SimulatedFile;
  readonly validRows: number;
  committedAt?: number;
  receivedAt?: number;
  extractedAt?: number;
  completedAt?: number;
  settledRows: number;
}

export class SimulatedWorker {
  readonly id: string;
  readonly group: string;
  readonly functions: ReadonlySet<FunctionName>;
  readonly requestedAt: number;
  state: WorkerState = 'starting';
  readyAt: number | undefined;
  stoppedAt: number | undefined;
  placement: Placement | undefined;
  /** Invocations running (an extract of a file, a batch). */
  running = 0;
  extracts = 0;
  executions = 0;
  executingSeconds = 0;
  #runningSince = 0;
  /** Where its processor's load-balancing cycle starts. */
  cycleAnchor = 0;
  /** Called once when it has drained and stopped. */
  whenStopped: (() => void) | undefined;

  constructor(id: string, group: string, functions: readonly FunctionName[], now: number) {
    this.id = id;
    this.group = group;
    this.functions = new Set(functions);
    this.requestedAt = now;
  }

  get process(): ShareGroup {
    return this.placement!.process;
  }

  invocationStarted(now: number): void {
    if (this.running === 0) this.#runningSince = now;
    this.running += 1;
    this.executions += 1;
  }

  invocationEnded(now: number): void {
    this.running -= 1;
    if (this.running === 0) this.executingSeconds += now - this.#runningSince;
  }

  /** Seconds with an invocation running, up to `now`. */
  executingUntil(now: number): number {
    return this.executingSeconds + (this.running > 0 ? now - this.#runningSince : 0);
  }

  /** Seconds the worker existed (requested to stopped), up to `now`. */
  aliveUntil(now: number): number {
    return (this.stoppedAt ?? now) - this.requestedAt;
  }
}

interface PartitionReader {
  owner: SimulatedWorker;
  buffer: SimulatedEvent[];
  firstBufferedAt: number;
  receiving: boolean;
  batchRunning: boolean;
  waitVersion: number;
}

interface LandingMessage {
  readonly progress: FileProgress;
  readonly visibleAt: number;
}

export interface PipelineCounters {
  extractedRows: number;
  settledRows: number;
  aggregatedRows: number;
  completedFiles: number;
}

export class PipelineModel {
  readonly environment: Environment;
  readonly inputs: SimulationInputs;
  readonly records: SimulatedHub;
  readonly aggregates: SimulatedHub;
  readonly files: FileProgress[] = [];
  readonly workers: SimulatedWorker[] = [];
  readonly counters: PipelineCounters = { extractedRows: 0, settledRows: 0, aggregatedRows: 0, completedFiles: 0 };
  /** Queue trigger: messages an instance takes at once, and the in-flight count below which it takes more. */
  readonly queueBatchSize: number;
  readonly queueNewBatchThreshold: number;
  readonly #landing: LandingMessage[] = [];
  #inFlightMessages = 0;
  readonly #readers = new Map<SimulatedPartition, PartitionReader>();
  /** Workers not stopped yet, per group. */
  readonly #live = new Map<string, Set<SimulatedWorker>>();
  #nextWorker = 1;

  constructor(options: {
    environment: Environment;
    inputs: SimulationInputs;
    recordsPartitions: number;
    aggregatesPartitions: number;
    queueBatchSize: number;
    queueNewBatchThreshold: number;
  }) {
    this.environment = options.environment;
    this.inputs = options.inputs;
    this.records = new SimulatedHub('records', 'transform', options.recordsPartitions);
    this.aggregates = new SimulatedHub('aggregates', 'aggregate', options.aggregatesPartitions);
    this.queueBatchSize = options.queueBatchSize;
    this.queueNewBatchThreshold = options.queueNewBatchThreshold;
  }

  get now(): number {
    return this.environment.queue.now;
  }

  /** Messages on the landing queue, in flight included: what ApproximateMessagesCount reports. */
  get landingQueueLength(): number {
    return this.#landing.length + this.#inFlightMessages;
  }

  /** Schedules every file of the workload. */
  offer(files: readonly SimulatedFile[]): void {
    for (const file of files) {
      // Events carry a file's id, and settle into files[id].
      if (file.id !== this.files.length)
        throw new RangeError(`file ids must run 0, 1, 2 … in order; got ${file.id} at ${this.files.length}`);
      const progress: FileProgress = { file, validRows: file.rows * this.inputs.DATA.validFraction, settledRows: 0 };
      this.files.push(progress);
      this.environment.queue.at(file.arriveAt, () =>
        this.environment.upload(file.rows, () => {
          progress.committedAt = this.now;
          this.environment.queue.after(this.environment.landingDelay(this.now), () => {
            this.#landing.push({ progress, visibleAt: this.now });
          });
        }),
      );
    }
  }

  get allComplete(): boolean {
    return this.files.every((file) => file.completedAt !== undefined);
  }

  // --- workers -----------------------------------------------------------------------------------

  /** A worker asked for; it takes no work until `markReady`. */
  startWorker(group: string, functions: readonly FunctionName[], options: { inFrontProcess?: boolean } = {}): SimulatedWorker {
    const worker = new SimulatedWorker(`${group}-${this.#nextWorker++}`, group, functions, this.now);
    worker.placement = this.environment.place(worker.id, options);
    this.workers.push(worker);
    const live = this.#live.get(group) ?? new Set<SimulatedWorker>();
    live.add(worker);
    this.#live.set(group, live);
    return worker;
  }

  markReady(worker: SimulatedWorker): void {
    if (worker.state !== 'starting') return;
    worker.state = 'ready';
    worker.readyAt = this.now;
    worker.cycleAnchor = this.now;
    if (worker.functions.has('extract')) this.#schedulePoll(worker, 0);
    const claim = this.claimDelaySeconds;
    for (const hub of this.#hubsOf(worker)) this.environment.queue.after(claim, () => this.#rebalance(hub));
  }

  /** Seconds from a ready worker to its first claim (Azure: greedy processors claim at once; set by the platform). */
  claimDelaySeconds = 0;
  /** The processors' load-balancing cycle: partitions released by a stopped worker wait for the next one. */
  loadBalancingSeconds = 10;

  /** Takes no new work, finishes what runs, lets go of its partitions, then stops. */
  drainWorker(worker: SimulatedWorker): void {
    if (worker.state === 'stopped' || worker.state === 'draining') return;
    const wasStarting = worker.state === 'starting';
    worker.state = 'draining';
    if (wasStarting) {
      this.#stop(worker);
      return;
    }
    for (const [partition, reader] of this.#readers) if (reader.owner === worker && !reader.batchRunning) this.#release(partition);
    this.#stopIfIdle(worker);
  }

  workersOf(group: string): SimulatedWorker[] {
    return [...(this.#live.get(group) ?? [])];
  }

  /** Workers not stopped yet, of every group. */
  liveWorkers(): SimulatedWorker[] {
    return [...this.#live.values()].flatMap((workers) => [...workers]);
  }

  #hubsOf(worker: SimulatedWorker): SimulatedHub[] {
    return [...(worker.functions.has('transform') ? [this.records] : []), ...(worker.functions.has('aggregate') ? [this.aggregates] : [])];
  }

  #stopIfIdle(worker: SimulatedWorker): void {
    if (worker.state !== 'draining' || worker.running > 0) return;
    for (const reader of this.#readers.values()) if (reader.owner === worker) return;
    this.#stop(worker);
  }

  #stop(worker: SimulatedWorker): void {
    worker.state = 'stopped';
    worker.stoppedAt = this.now;
    this.#live.get(worker.group)?.delete(worker);
    this.environment.release(worker.id);
    worker.whenStopped?.();
  }

  // --- partition ownership ------------------------------------------------------------------------

  #rebalance(hub: SimulatedHub): void {
    const fn: FunctionName = hub === this.records ? 'transform' : 'aggregate';
    const owners = this.liveWorkers().filter((worker) => worker.state === 'ready' && worker.functions.has(fn));
    // A claimed partition moves at once: the new owner reads from the checkpoint while the old
    // owner's running batch finishes, so those events are processed twice (at-least-once delivery).
    for (const { partition, to } of balancePartitions(hub.partitions, owners)) this.#assign(partition, to as SimulatedWorker);
  }

  #assign(partition: SimulatedPartition, owner: SimulatedWorker): void {
    const previous = this.#readers.get(partition)?.owner;
    partition.owner = owner;
    partition.resetReadPosition();
    this.#readers.set(partition, { owner, buffer: [], firstBufferedAt: 0, receiving: false, batchRunning: false, waitVersion: 0 });
    if (previous) this.#stopIfIdle(previous);
    this.#pump(partition);
  }

  /** The owner lets go; the others claim it at the next load-balancing cycle of the earliest of them. */
  #release(partition: SimulatedPartition): void {
    const reader = this.#readers.get(partition);
    this.#readers.delete(partition);
    partition.owner = undefined;
    if (reader) this.#stopIfIdle(reader.owner);
    const hub = this.records.partitions.includes(partition) ? this.records : this.aggregates;
    const fn: FunctionName = hub === this.records ? 'transform' : 'aggregate';
    const survivors = this.liveWorkers().filter((worker) => worker.state === 'ready' && worker.functions.has(fn));
    if (survivors.length === 0) return; // claimed when a worker becomes ready
    const cycle = this.loadBalancingSeconds;
    const next = Math.min(
      ...survivors.map((worker) => worker.cycleAnchor + Math.ceil((this.now - worker.cycleAnchor) / cycle + 1e-9) * cycle),
    );
    this.environment.queue.at(next, () => this.#rebalance(hub));
  }

  // --- reading and batching -----------------------------------------------------------------------

  #pump(partition: SimulatedPartition): void {
    const reader = this.#readers.get(partition);
    if (!reader || reader.owner.state !== 'ready') return;
    const inputs = this.inputs.PIPELINE;
    if (!reader.receiving && reader.buffer.length < inputs.prefetchEvents && partition.unread > 0) {
      const events = partition.read(
        partition.readPosition,
        Math.min(partition.unread, inputs.prefetchEvents - reader.buffer.length, inputs.maxEventBatchSize),
      );
      partition.readPosition += events.length;
      reader.receiving = true;
      const rows = events.reduce((sum, event) => sum + event.rows, 0);
      const isRecords = this.records.partitions.includes(partition);
      if (isRecords) this.environment.serviceWork('receive', rows);
      this.environment.receive(
        reader.owner.id,
        events.reduce((sum, event) => sum + event.bytes, 0),
        events.length,
        () => {
          if (this.#readers.get(partition) !== reader) return;
          reader.receiving = false;
          if (reader.buffer.length === 0) reader.firstBufferedAt = this.now;
          reader.buffer.push(...events);
          this.#pump(partition);
        },
      );
    }
    if (reader.batchRunning || reader.buffer.length === 0) return;
    const waited = this.now - reader.firstBufferedAt >= inputs.maxWaitSeconds - 1e-9;
    if (reader.buffer.length >= inputs.minEventBatchSize || waited) {
      const batch = reader.buffer.splice(0, inputs.maxEventBatchSize);
      if (reader.buffer.length > 0) reader.firstBufferedAt = this.now;
      this.#runBatch(partition, reader, batch);
      return;
    }
    const version = ++reader.waitVersion;
    this.environment.queue.at(reader.firstBufferedAt + inputs.maxWaitSeconds, () => {
      if (reader.waitVersion === version && this.#readers.get(partition) === reader) this.#pump(partition);
    });
  }

  #runBatch(partition: SimulatedPartition, reader: PartitionReader, batch: SimulatedEvent[]): void {
    const worker = reader.owner;
    reader.batchRunning = true;
    worker.invocationStarted(this.now);
    const done = () => {
      // The host checkpoints a finished batch even when another instance owns the partition by now.
      partition.checkpointAt(batch.at(-1)!.sequenceNumber);
      reader.batchRunning = false;
      worker.invocationEnded(this.now);
      if (this.#readers.get(partition) === reader) {
        if (worker.state === 'draining') this.#release(partition);
        else this.#pump(partition);
      }
      this.#stopIfIdle(worker);
    };
    if (this.records.partitions.includes(partition)) this.#transform(worker, partition, batch, done);
    else this.#aggregate(worker, batch, done);
  }

  /**
   * Transform: the batch's rows in transactions of about equal size, each CPU, then the load, then
   * partials. Events another instance already loaded (replayed after a partition moved) cost their
   * parsing but load nothing: the chunk ledger skips them.
   */
  #transform(worker: SimulatedWorker, partition: SimulatedPartition, batch: SimulatedEvent[], done: () => void): void {
    const transactions = splitIntoTransactions(batch, this.inputs.PIPELINE.transactionRows);
    const micros = this.inputs.WORK_PER_ROW.transform + this.environment.transformClientMicrosPerRow;
    const next = (index: number) => {
      if (index === transactions.length) {
        done();
        return;
      }
      const transaction = transactions[index]!;
      const rows = transaction.reduce((sum, event) => sum + event.rows, 0);
      this.#cpu(worker, rows * micros, () => {
        const fresh = transaction.filter((event) => event.sequenceNumber > partition.appliedUpTo);
        const freshRows = fresh.reduce((sum, event) => sum + event.rows, 0);
        partition.appliedUpTo = Math.max(partition.appliedUpTo, transaction.at(-1)!.sequenceNumber);
        this.environment.writeRows(worker.placement!, freshRows, 'facts', () => {
          this.#settle(fresh);
          this.environment.serviceWork('checkpoint', rows);
          this.environment.serviceWork('front', freshRows);
          if (freshRows > 0) this.#publishPartials(worker, freshRows, () => next(index + 1));
          else next(index + 1);
        });
      });
    };
    next(0);
  }

  #publishPartials(worker: SimulatedWorker, rows: number, done: () => void): void {
    const messages = Math.max(1, Math.round(this.inputs.DATA.partialMessagesPerTransaction));
    const bytes = 2048;
    this.environment.publish(worker.id, messages * bytes, messages, () => {
      for (let message = 0; message < messages; message += 1) {
        const partition = this.aggregates.partitions[message % this.aggregates.partitions.length]!;
        partition.append(rows / messages, -1, bytes);
        this.#pump(partition);
      }
      done();
    });
  }

  #aggregate(worker: SimulatedWorker, batch: SimulatedEvent[], done: () => void): void {
    const rows = batch.reduce((sum, event) => sum + event.rows, 0);
    this.#cpu(worker, rows * this.inputs.WORK_PER_ROW.aggregate, () =>
      this.environment.writeRows(worker.placement!, rows * this.inputs.SQL.aggregateRowsPerFactRow, 'windows', () => {
        this.counters.aggregatedRows += rows;
        done();
      }),
    );
  }

  #settle(events: readonly SimulatedEvent[]): void {
    for (const event of events) {
      const progress = this.files[event.fileId]!;
      progress.settledRows += event.rows;
      this.counters.settledRows += event.rows;
      if (progress.completedAt === undefined && progress.extractedAt !== undefined && progress.settledRows >= progress.validRows - 1e-6) {
        progress.completedAt = this.now;
        this.counters.completedFiles += 1;
      }
    }
  }

  #cpu(worker: SimulatedWorker, micros: number, onDone: () => void): void {
    const placement = worker.placement!;
    placement.cores.run(placement.process, micros / 1e6 / this.environment.coreSpeed, onDone);
  }

  // --- the landing queue and extract --------------------------------------------------------------

  #schedulePoll(worker: SimulatedWorker, delay: number): void {
    this.environment.queue.after(delay, () => {
      if (worker.state !== 'ready') return;
      this.#poll(worker);
      this.#schedulePoll(worker, this.inputs.PIPELINE.queuePollSeconds);
    });
  }

  #poll(worker: SimulatedWorker): void {
    if (worker.extracts > this.queueNewBatchThreshold) return;
    const take = Math.min(this.queueBatchSize, this.#landing.length);
    for (let index = 0; index < take; index += 1) {
      const message = this.#landing.shift()!;
      this.#inFlightMessages += 1;
      this.#extract(worker, message.progress);
    }
  }

  /** Extract: rows in rounds of one chunk per partition, each parsed (CPU) then published; one round publishing behind. */
  #extract(worker: SimulatedWorker, progress: FileProgress): void {
    const inputs = this.inputs;
    const partitions = this.records.partitions;
    const roundRows = inputs.PIPELINE.chunkRows * partitions.length;
    let left = progress.file.rows;
    let publishing = 0;
    let parsing = false;
    worker.invocationStarted(this.now);
    worker.extracts += 1;
    progress.receivedAt = this.now;
    const finish = () => {
      progress.extractedAt = this.now;
      this.#inFlightMessages -= 1;
      worker.extracts -= 1;
      worker.invocationEnded(this.now);
      if (progress.completedAt === undefined && progress.settledRows >= progress.validRows - 1e-6) {
        progress.completedAt = this.now;
        this.counters.completedFiles += 1;
      }
      if (worker.state === 'ready') this.#poll(worker);
      this.#stopIfIdle(worker);
    };
    const parseNext = () => {
      if (parsing || publishing > inputs.PIPELINE.publishAheadSegments) return;
      if (left <= 0) {
        if (publishing === 0) finish();
        return;
      }
      const rows = Math.min(roundRows, left);
      left -= rows;
      parsing = true;
      this.environment.serviceWork('download', rows);
      this.#cpu(worker, rows * inputs.WORK_PER_ROW.extract, () => {
        parsing = false;
        const validRows = rows * inputs.DATA.validFraction;
        const perPartition = validRows / partitions.length;
        const bytes = perPartition * inputs.DATA.eventBytesPerRow;
        publishing += 1;
        this.environment.serviceWork('publish', validRows);
        this.environment.publish(worker.id, bytes * partitions.length, partitions.length, () => {
          publishing -= 1;
          for (const partition of partitions) {
            partition.append(perPartition, progress.file.id, bytes);
            this.#pump(partition);
          }
          this.counters.extractedRows += validRows;
          parseNext();
        });
        parseNext();
      });
    };
    parseNext();
  }
}

/**
 * A batch's events in transform's transactions, by the app's own plan (shared/handlers/
 * transaction-plan.ts: about equal sizes, none above `maxRows` unless one chunk is). The plan only
 * reads each chunk's dataset and its number of facts.
 */
export function splitIntoTransactions(events: readonly SimulatedEvent[], maxRows: number): SimulatedEvent[][] {
  const chunks = events.map((event) => ({
    dataset: iotEventsDataset,
    facts: { length: Math.round(event.rows) } as unknown as ChunkLoadInput['facts'],
  }));
  return planTransactions(chunks, maxRows).map((group) => group.map((index) => events[index]!));
}
