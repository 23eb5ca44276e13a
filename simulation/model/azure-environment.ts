/**
 * Azure as the pipeline meets it: every instance (Flex) or pod (AKS) runs its JavaScript on cores
 * of its own — one Node process, so at most one core whatever the size — while the Event Hubs
 * namespace and the database are shared by all of them, each with its quota: ingress and egress per
 * throughput unit (1 MB/s or 1,000 events/s in, 2 MB/s or 4,096 events/s out on Standard), and the
 * database's log rate for the rows it writes, with one transaction (session) taking at most its own rate.
 */
import type { SimulationInputs } from '../calibration.js';
import type { EventQueue } from '../engine/event-queue.js';
import { SharedResource } from '../engine/shared-resource.js';
import type { Environment, Placement } from './environment.js';

export type EventHubsTier = 'Standard' | 'Premium';

export interface AzureEnvironmentOptions {
  readonly cores: number;
  readonly tier: EventHubsTier;
  readonly units: number;
}

const MB = 1e6;

/** Rows per second the database takes: its log rate over the log each row writes. */
export function sqlRowsPerSecond(inputs: SimulationInputs): number {
  const logRate = Math.min(inputs.SQL.vCores * inputs.SQL.logRateMBpsPerVcore, inputs.SQL.maxLogRateMBps) * MB;
  return logRate / inputs.SQL.logBytesPerRow;
}

export class AzureEnvironment implements Environment {
  readonly name = 'azure';
  readonly queue: EventQueue;
  readonly coreSpeed: number;
  readonly transformClientMicrosPerRow: number;
  readonly sql: SharedResource;
  readonly ingress: SharedResource;
  readonly egress: SharedResource;
  readonly #inputs: SimulationInputs;
  readonly #cores: number;
  readonly #machines = new Map<string, Placement>();
  /** Bytes one event counts for at least, so that a bytes/s quota also holds the events/s one. */
  readonly #ingressEventFloor: number;
  readonly #egressEventFloor: number;
  #sessions = 0;

  constructor(queue: EventQueue, inputs: SimulationInputs, options: AzureEnvironmentOptions) {
    this.queue = queue;
    this.#inputs = inputs;
    this.#cores = options.cores;
    this.coreSpeed = inputs.WORK_PER_ROW.azureCoreSpeed;
    this.transformClientMicrosPerRow = inputs.WORK_PER_ROW.mssqlClient;
    const hubs = inputs.EVENT_HUBS;
    const standard = options.tier === 'Standard';
    const ingress = options.units * (standard ? hubs.standardIngressMBps : hubs.premiumIngressMBps) * MB;
    const egress = options.units * (standard ? hubs.standardEgressMBps : hubs.premiumEgressMBps) * MB;
    this.#ingressEventFloor = standard ? (hubs.standardIngressMBps * MB) / hubs.standardIngressEvents : 0;
    this.#egressEventFloor = standard ? (hubs.standardEgressMBps * MB) / hubs.standardEgressEvents : 0;
    this.ingress = new SharedResource(queue, 'event hubs ingress', ingress);
    this.egress = new SharedResource(queue, 'event hubs egress', egress);
    this.sql = new SharedResource(queue, 'sql', sqlRowsPerSecond(inputs));
  }

  get resources(): readonly SharedResource[] {
    return [this.sql, this.ingress, this.egress];
  }

  place(workerId: string): Placement {
    const cores = new SharedResource(this.queue, `${workerId} cores`, this.#cores);
    const placement = { cores, process: { name: workerId, maxRate: Math.min(1, this.#cores) } };
    this.#machines.set(workerId, placement);
    return placement;
  }

  release(workerId: string): void {
    this.#machines.delete(workerId);
  }

  serviceWork(): void {
    // Azure's services run on their own hardware; their limits are the quotas below.
  }

  upload(_rows: number, onCommitted: () => void): void {
    onCommitted();
  }

  landingDelay(): number {
    return this.#inputs.FLEX.eventGridSeconds;
  }

  publish(publisher: string, bytes: number, events: number, onDone: () => void): void {
    this.ingress.run({ name: publisher, maxRate: Infinity }, Math.max(bytes, events * this.#ingressEventFloor), onDone);
  }

  receive(reader: string, bytes: number, events: number, onDone: () => void): void {
    this.egress.run({ name: reader, maxRate: Infinity }, Math.max(bytes, events * this.#egressEventFloor), onDone);
  }

  writeRows(_placement: Placement, rows: number, _kind: 'facts' | 'windows', onDone: () => void): void {
    this.sql.run({ name: `session-${this.#sessions++}`, maxRate: this.#inputs.SQL.rowsPerSecondPerSession }, rows, onDone);
  }
}
