/**
 * KEDA on AKS: one Deployment per function, each with a ScaledObject (azure-queue for extract,
 * azure-eventhub for transform and aggregate, the infra's thresholds). KEDA checks activity every
 * `pollingInterval` and moves 0 ↔ 1 itself; the HPA syncs every 15 s and moves 1 ↔ N with its
 * behaviors — both through `decideInstances` in mode `keda`. Pods need a node with a free core:
 * when none has one they wait while the cluster autoscaler adds nodes (scan, provisioning, then an
 * image pull on the new node); empty nodes go after the scale-down delays. Billing is per node-hour.
 */
import { decideInstances, initialScalingState, platformScalingOptions, type ScalingState } from '../../local/scaler/scaling-formulas.js';
import { KEDA_SCALING_DEFAULTS } from '../../local/scaler/keda-hpa-scaling.js';
import type { SimulationInputs } from '../calibration.js';
import type { PipelineModel, SimulatedWorker } from '../model/pipeline-model.js';
import type { ScalingEvent } from '../run/simulation-result.js';
import { WORKER_GROUPS, activeWorkers, pickToStop, type WorkerGroup } from './worker-groups.js';

export interface AksOptions {
  readonly nodeMin: number;
  readonly nodeMax: number;
  /** Most transform and aggregate pods (default: the hub's partitions, as the infra sets it). */
  readonly maxReplicas?: number;
}

interface Node {
  readonly id: number;
  readonly createdAt: number;
  readyAt: number | undefined;
  removedAt: number | undefined;
  hasImage: boolean;
  readonly pods: Set<SimulatedWorker>;
  emptySince: number | undefined;
}

export class KedaOnAksPlatform {
  readonly events: ScalingEvent[] = [];
  readonly nodes: Node[] = [];
  readonly #model: PipelineModel;
  readonly #inputs: SimulationInputs;
  readonly #options: AksOptions;
  readonly #states = new Map<string, ScalingState>();
  readonly #pending: SimulatedWorker[] = [];
  readonly #nodeOf = new Map<SimulatedWorker, Node>();
  #lastScaleUpAt = -Infinity;
  #stopped = false;

  constructor(model: PipelineModel, inputs: SimulationInputs, options: AksOptions) {
    this.#model = model;
    this.#inputs = inputs;
    this.#options = options;
    model.claimDelaySeconds = inputs.FLEX.partitionClaimSeconds;
    model.loadBalancingSeconds = inputs.FLEX.loadBalancingSeconds;
  }

  get readyNodes(): number {
    return this.nodes.filter((node) => node.readyAt !== undefined && node.removedAt === undefined).length;
  }

  /** Nodes billed now: created and not removed. */
  get liveNodes(): number {
    return this.nodes.filter((node) => node.removedAt === undefined).length;
  }

  start(): void {
    const aks = this.#inputs.AKS;
    // The cluster starts warm: its minimum nodes exist and hold the image from the deployment.
    for (let index = 0; index < this.#options.nodeMin; index += 1)
      this.nodes.push({ id: index, createdAt: 0, readyAt: 0, removedAt: undefined, hasImage: true, pods: new Set(), emptySince: 0 });
    const queue = this.#model.environment.queue;
    WORKER_GROUPS.forEach((group, index) => {
      this.#states.set(group.name, initialScalingState('keda'));
      for (let count = 0; count < aks.kedaMinReplicas; count += 1) this.#addPod(group);
      queue.after((aks.kedaPollingSeconds * index) / WORKER_GROUPS.length, () => this.#kedaLoop(group));
      queue.after((aks.hpaSyncSeconds * index) / WORKER_GROUPS.length, () => this.#hpaLoop(group));
    });
    queue.after(aks.autoscalerScanSeconds, () => this.#autoscalerLoop());
  }

  stop(): void {
    this.#stopped = true;
  }

  #maxReplicas(group: WorkerGroup): number {
    const partitions = group.partitions(this.#model);
    if (partitions === undefined) return this.#inputs.AKS.extractMaxReplicas;
    return Math.min(this.#options.maxReplicas ?? partitions, partitions);
  }

  #scalingOptionsFor(group: WorkerGroup, minInstances: number) {
    const aks = this.#inputs.AKS;
    return platformScalingOptions('keda', {
      minInstances,
      maxInstances: Math.max(1, this.#maxReplicas(group)),
      keda: {
        unprocessedEventThreshold: aks.unprocessedEventThreshold,
        queueLength: aks.queueLength,
        cooldownPeriodMs: aks.kedaCooldownSeconds * 1000,
        scaleDown: { ...KEDA_SCALING_DEFAULTS.scaleDown, stabilizationWindowMs: aks.scaleDownStabilizationSeconds * 1000 },
      },
    });
  }

  /** KEDA's own loop: 0 → 1 when active, 1+ → 0 after the cooldown without activity. */
  #kedaLoop(group: WorkerGroup): void {
    if (this.#stopped) return;
    const model = this.#model;
    const replicas = activeWorkers(model, group.name).length;
    const state = this.#states.get(group.name)!;
    const { decision, state: next } = decideInstances(
      { now: model.now * 1000, currentInstances: replicas, ...group.trigger(model) },
      state,
      this.#scalingOptionsFor(group, this.#inputs.AKS.kedaMinReplicas),
    );
    if (replicas === 0 || decision.desiredInstances === 0) {
      this.#states.set(group.name, next);
      this.#scaleTo(group, decision.desiredInstances);
    } else if (next.mode === 'keda' && state.mode === 'keda') {
      // Only KEDA's activity clock moves here; 1 ↔ N is the HPA's.
      this.#states.set(group.name, { mode: 'keda', keda: { ...state.keda, lastActiveAt: next.keda.lastActiveAt } });
    }
    model.environment.queue.after(this.#inputs.AKS.kedaPollingSeconds, () => this.#kedaLoop(group));
  }

  /** The HPA: only while the Deployment has replicas; its minimum is at least one. */
  #hpaLoop(group: WorkerGroup): void {
    if (this.#stopped) return;
    const model = this.#model;
    const replicas = activeWorkers(model, group.name).length;
    if (replicas > 0) {
      const { decision, state } = decideInstances(
        { now: model.now * 1000, currentInstances: replicas, ...group.trigger(model) },
        this.#states.get(group.name)!,
        this.#scalingOptionsFor(group, Math.max(1, this.#inputs.AKS.kedaMinReplicas)),
      );
      this.#states.set(group.name, state);
      this.#scaleTo(group, decision.desiredInstances);
    }
    model.environment.queue.after(this.#inputs.AKS.hpaSyncSeconds, () => this.#hpaLoop(group));
  }

  #scaleTo(group: WorkerGroup, desired: number): void {
    const workers = activeWorkers(this.#model, group.name);
    if (desired === workers.length) return;
    this.events.push({ at: this.#model.now, group: group.name, from: workers.length, to: desired });
    for (let count = workers.length; count < desired; count += 1) this.#addPod(group);
    for (const worker of pickToStop(workers, workers.length - desired)) this.#removePod(worker);
  }

  #addPod(group: WorkerGroup): void {
    const worker = this.#model.startWorker(group.name, [group.name]);
    worker.whenStopped = () => {
      const node = this.#nodeOf.get(worker);
      node?.pods.delete(worker);
      if (node && node.pods.size === 0) node.emptySince = this.#model.now;
      this.#nodeOf.delete(worker);
    };
    if (!this.#schedule(worker)) this.#pending.push(worker);
  }

  #removePod(worker: SimulatedWorker): void {
    const pending = this.#pending.indexOf(worker);
    if (pending >= 0) this.#pending.splice(pending, 1);
    this.#model.drainWorker(worker);
  }

  /** Places a pod on a ready node with a free core; it takes events after the image pull (new node) and the start. */
  #schedule(worker: SimulatedWorker): boolean {
    const aks = this.#inputs.AKS;
    const perNode = Math.max(1, Math.floor(aks.nodeAllocatableVcpus / aks.podVcpus));
    const node = this.nodes.find(
      (candidate) => candidate.readyAt !== undefined && candidate.removedAt === undefined && candidate.pods.size < perNode,
    );
    if (!node) return false;
    node.pods.add(worker);
    node.emptySince = undefined;
    this.#nodeOf.set(worker, node);
    const pull = node.hasImage ? 0 : aks.imagePullSeconds;
    node.hasImage = true;
    this.#model.environment.queue.after(pull + aks.containerStartSeconds, () => this.#model.markReady(worker));
    return true;
  }

  /** Cluster autoscaler: nodes for pods that cannot be placed; empty nodes removed after the delays. */
  #autoscalerLoop(): void {
    if (this.#stopped) return;
    const aks = this.#inputs.AKS;
    const now = this.#model.now;
    const queue = this.#model.environment.queue;
    for (const worker of [...this.#pending]) {
      if (worker.state !== 'starting') this.#pending.splice(this.#pending.indexOf(worker), 1);
      else if (this.#schedule(worker)) this.#pending.splice(this.#pending.indexOf(worker), 1);
    }
    const perNode = Math.max(1, Math.floor(aks.nodeAllocatableVcpus / aks.podVcpus));
    const provisioning = this.nodes.filter((node) => node.readyAt === undefined && node.removedAt === undefined).length;
    const wanted = Math.ceil(this.#pending.length / perNode) - provisioning;
    const add = Math.min(wanted, this.#options.nodeMax - this.liveNodes);
    for (let index = 0; index < add; index += 1) {
      const node: Node = {
        id: this.nodes.length,
        createdAt: now,
        readyAt: undefined,
        removedAt: undefined,
        hasImage: false,
        pods: new Set(),
        emptySince: undefined,
      };
      this.nodes.push(node);
      this.#lastScaleUpAt = now;
      queue.after(aks.nodeProvisionSeconds, () => {
        node.readyAt = this.#model.now;
        node.emptySince = this.#model.now;
        for (const worker of [...this.#pending]) if (this.#schedule(worker)) this.#pending.splice(this.#pending.indexOf(worker), 1);
      });
    }
    if (now - this.#lastScaleUpAt >= aks.scaleDownDelayAfterAddSeconds) {
      const removable = this.nodes.filter(
        (node) =>
          node.removedAt === undefined &&
          node.readyAt !== undefined &&
          node.pods.size === 0 &&
          node.emptySince !== undefined &&
          now - node.emptySince >= aks.scaleDownUnneededSeconds,
      );
      for (const node of removable.slice(0, Math.max(0, this.liveNodes - this.#options.nodeMin))) node.removedAt = now;
    }
    queue.after(aks.autoscalerScanSeconds, () => this.#autoscalerLoop());
  }

  /** Node-seconds of the run: every second a node existed (provisioning included). */
  nodeSeconds(now: number): number {
    return this.nodes.reduce((sum, node) => sum + ((node.removedAt ?? now) - node.createdAt), 0);
  }

  costs(now: number): Record<string, number> {
    const prices = this.#inputs.PRICES;
    return {
      'AKS nodes': (this.nodeSeconds(now) / 3600) * prices.aksNodeHour,
      'AKS control plane': (now / 3600) * prices.aksControlPlaneHour,
    };
  }
}
