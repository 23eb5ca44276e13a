/**
 * KEDA objects: one TriggerAuthentication using Azure workload identity, and one ScaledObject per
 * consumer: azure-queue for extract (landing-events), azure-eventhub for transform and aggregate.
 * The Event Hubs scaler reads the checkpoints the Functions extension ≥5 writes: blob metadata in
 * `azure-webjobs-eventhub` (docs/functions-host.md); the default `azureFunction` strategy would read
 * the legacy layout and see no progress.
 */
import { ScaledObject, TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import type { KedaParameters } from '../parameters.js';

export const TRIGGER_AUTHENTICATION_NAME = 'etl-workload-identity';

export interface EventHubConsumer {
  /** Deployment the ScaledObject scales. */
  readonly deployment: string;
  readonly eventHubName: string;
  readonly consumerGroup: string;
  readonly partitionCount: number;
}

export interface QueueConsumer {
  readonly deployment: string;
  readonly queueName: string;
  readonly maxReplicas: number;
}

export interface KedaScalingInput {
  readonly namespace: string;
  /** Client id of the identity KEDA's operator uses (federated with `kube-system/keda-operator`). */
  readonly scalerClientId: string;
  /** Event Hubs namespace name (not the host name): what the scaler's `eventHubNamespace` expects. */
  readonly eventHubNamespace: string;
  readonly storageAccountName: string;
  readonly checkpointContainer: string;
  readonly keda: KedaParameters;
}

export function triggerAuthenticationManifest(input: KedaScalingInput): TriggerAuthentication {
  return new TriggerAuthentication({
    metadata: { name: TRIGGER_AUTHENTICATION_NAME, namespace: input.namespace },
    spec: { podIdentity: { provider: 'azure-workload', identityId: input.scalerClientId } },
  });
}

export function eventHubScaledObjectManifest(input: KedaScalingInput, consumer: EventHubConsumer): ScaledObject {
  const k = input.keda;
  return scaledObject(input, consumer.deployment, Math.min(k.maxReplicas ?? consumer.partitionCount, consumer.partitionCount), {
    type: 'azure-eventhub',
    metadata: {
      eventHubNamespace: input.eventHubNamespace,
      eventHubName: consumer.eventHubName,
      consumerGroup: consumer.consumerGroup,
      storageAccountName: input.storageAccountName,
      blobContainer: input.checkpointContainer,
      checkpointStrategy: 'blobMetadata',
      unprocessedEventThreshold: String(k.unprocessedEventThreshold),
      activationUnprocessedEventThreshold: String(k.activationUnprocessedEventThreshold),
    },
  });
}

export function queueScaledObjectManifest(input: KedaScalingInput, consumer: QueueConsumer): ScaledObject {
  return scaledObject(input, consumer.deployment, consumer.maxReplicas, {
    type: 'azure-queue',
    metadata: {
      queueName: consumer.queueName,
      accountName: input.storageAccountName,
      queueLength: String(input.keda.queueLength),
      activationQueueLength: '0',
    },
  });
}

interface Trigger {
  readonly type: 'azure-eventhub' | 'azure-queue';
  readonly metadata: Record<string, string>;
}

function scaledObject(input: KedaScalingInput, deployment: string, maxReplicas: number, trigger: Trigger): ScaledObject {
  const k = input.keda;
  return new ScaledObject({
    metadata: { name: deployment, namespace: input.namespace },
    spec: {
      scaleTargetRef: { name: deployment },
      pollingInterval: k.pollingIntervalSeconds,
      cooldownPeriod: k.cooldownPeriodSeconds,
      minReplicaCount: k.minReplicas,
      // More consumers than partitions would idle: a partition has one owner per group.
      maxReplicaCount: Math.max(maxReplicas, k.minReplicas, 1),
      advanced: {
        horizontalPodAutoscalerConfig: {
          behavior: { scaleDown: { stabilizationWindowSeconds: k.scaleDownStabilizationSeconds } },
        },
      },
      triggers: [{ ...trigger, authenticationRef: { name: TRIGGER_AUTHENTICATION_NAME } }],
    },
  });
}
