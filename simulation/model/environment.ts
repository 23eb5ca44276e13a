/**
 * Port: where the pipeline's work runs. The pipeline model says what work a step needs (CPU of the
 * instance, an upload, events through the hub, rows into the database); an environment says what
 * that costs and how it is shared — on Azure every instance has cores of its own and the hub and
 * the database have quotas; on this machine everything shares two cores (local-environment.ts,
 * azure-environment.ts).
 */
import type { EventQueue } from '../engine/event-queue.js';
import type { SharedResource, ShareGroup } from '../engine/shared-resource.js';

/** What a worker runs its JavaScript on: a machine's cores, as one process. */
export interface Placement {
  readonly cores: SharedResource;
  readonly process: ShareGroup;
}

/** Side work that services do for the pipeline (Azurite and the emulator locally; nothing on Azure). */
export type ServiceWork = 'upload' | 'download' | 'publish' | 'receive' | 'checkpoint' | 'front';

export interface Environment {
  readonly queue: EventQueue;
  /** Work an instance does in a second, in cores of this machine. */
  readonly coreSpeed: number;
  /** Cores, processes and services are named after this, in charts and logs. */
  readonly name: string;
  /** Where a new worker's process runs. */
  place(workerId: string, options: { readonly inFrontProcess?: boolean }): Placement;
  /** The worker's process is gone (its machine may go too). */
  release(workerId: string): void;
  /** Services' share of `rows` rows of `kind` (fire and forget; locally it takes CPU from the others). */
  serviceWork(kind: ServiceWork, rows: number): void;
  /** The upload of a file, until its blob is committed (Azure: the workload's time is already that). */
  upload(rows: number, onCommitted: () => void): void;
  /** Seconds from a committed blob to its message on the landing queue. */
  landingDelay(committedAt: number): number;
  /** Events into the hubs' namespace (ingress quota on Azure). */
  publish(publisher: string, bytes: number, events: number, onDone: () => void): void;
  /** Events read from the namespace (egress quota on Azure). */
  receive(reader: string, bytes: number, events: number, onDone: () => void): void;
  /** Facts or window rows into the database by one transaction of `placement`'s process. */
  writeRows(placement: Placement, rows: number, kind: 'facts' | 'windows', onDone: () => void): void;
  /** CPU per row the transform spends on the database client (mssql on Azure; SQLite counts as `writeRows`). */
  readonly transformClientMicrosPerRow: number;
  /** Resources to report utilization of (database, ingress, egress, cores). */
  readonly resources: readonly SharedResource[];
}
