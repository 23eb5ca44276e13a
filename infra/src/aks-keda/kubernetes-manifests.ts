/**
 * All Kubernetes objects of the aks-keda stack, in apply order. Pure: plain inputs in, model
 * objects out, so tests validate them against their schemas without synthesizing a stack.
 */
import type { EventHubsParameters, KedaParameters } from '../parameters.js';
import type { AzureAppSettings } from '../settings/azure-app-settings.js';
import {
  deploymentManifest,
  namespaceManifest,
  serviceAccountManifest,
  statusServiceManifest,
  type FunctionWorkloadsInput,
} from './function-workloads.js';
import { amaMetricsSettingsManifest, kedaScrapeConfigManifest } from './prometheus-scraping.js';
import {
  eventHubScaledObjectManifest,
  queueScaledObjectManifest,
  triggerAuthenticationManifest,
  type KedaScalingInput,
} from './keda-scaling.js';

export const FUNCTIONS_SERVICE_ACCOUNT = 'etl-functions';

export interface KubernetesManifestsInput {
  readonly namespace: string;
  readonly image: string;
  readonly hostId: string;
  readonly functionsClientId: string;
  readonly scalerClientId: string;
  readonly settings: AzureAppSettings;
  readonly podResources: { readonly cpu: string; readonly memory: string };
  readonly eventHubNamespace: string;
  readonly eventHubs: EventHubsParameters;
  readonly storageAccountName: string;
  readonly checkpointContainer: string;
  readonly landingEventsQueue: string;
  readonly keda: KedaParameters;
}

/** What every kubernetes-models class offers: its JSON form and a schema check that throws. */
export interface KubernetesObject {
  toJSON(): unknown;
  validate(): void;
}

/** One object of the apply set; `fileName` orders them (namespace first). */
export interface KubernetesManifest {
  readonly fileName: string;
  readonly object: KubernetesObject;
}

export function kubernetesManifests(input: KubernetesManifestsInput): KubernetesManifest[] {
  const workloads: FunctionWorkloadsInput = {
    namespace: input.namespace,
    image: input.image,
    serviceAccountName: FUNCTIONS_SERVICE_ACCOUNT,
    functionsClientId: input.functionsClientId,
    hostId: input.hostId,
    settings: input.settings,
    resources: input.podResources,
  };
  const scaling: KedaScalingInput = {
    namespace: input.namespace,
    scalerClientId: input.scalerClientId,
    eventHubNamespace: input.eventHubNamespace,
    storageAccountName: input.storageAccountName,
    checkpointContainer: input.checkpointContainer,
    keda: input.keda,
  };
  const hubs = input.eventHubs;
  return [
    { fileName: '00-namespace.json', object: namespaceManifest(input.namespace) },
    { fileName: '10-serviceaccount-etl-functions.json', object: serviceAccountManifest(workloads) },
    { fileName: '20-deployment-etl-extract.json', object: deploymentManifest(workloads, 'extract') },
    { fileName: '20-deployment-etl-transform.json', object: deploymentManifest(workloads, 'transform') },
    { fileName: '20-deployment-etl-aggregate.json', object: deploymentManifest(workloads, 'aggregate') },
    { fileName: '20-deployment-etl-status.json', object: deploymentManifest(workloads, 'status') },
    { fileName: '21-service-etl-status.json', object: statusServiceManifest(workloads) },
    { fileName: '30-triggerauthentication.json', object: triggerAuthenticationManifest(scaling) },
    {
      fileName: '31-scaledobject-etl-extract.json',
      object: queueScaledObjectManifest(scaling, {
        deployment: 'etl-extract',
        queueName: input.landingEventsQueue,
        maxReplicas: input.keda.extractMaxReplicas,
      }),
    },
    {
      fileName: '31-scaledobject-etl-transform.json',
      object: eventHubScaledObjectManifest(scaling, {
        deployment: 'etl-transform',
        eventHubName: hubs.recordsHub,
        consumerGroup: hubs.transformConsumerGroup,
        partitionCount: hubs.recordsPartitions,
      }),
    },
    {
      fileName: '31-scaledobject-etl-aggregate.json',
      object: eventHubScaledObjectManifest(scaling, {
        deployment: 'etl-aggregate',
        eventHubName: hubs.aggregatesHub,
        consumerGroup: hubs.aggregateConsumerGroup,
        partitionCount: hubs.aggregatesPartitions,
      }),
    },
    { fileName: '40-configmap-ama-metrics-settings.json', object: amaMetricsSettingsManifest(input.namespace) },
    { fileName: '41-configmap-ama-metrics-prometheus-config.json', object: kedaScrapeConfigManifest() },
  ];
}
