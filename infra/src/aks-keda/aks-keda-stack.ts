/**
 * The AKS + KEDA stack: the same function app as a container on AKS, scaled per trigger group by
 * KEDA, on top of the shared foundation. Azure resources are Terraform; the Kubernetes objects are
 * written as manifests beside the stack (see kubernetes-manifest-files.ts for why).
 */
import { TerraformOutput, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { configureAzure } from '../building-blocks/azure-provider.js';
import { EtlFoundation } from '../building-blocks/etl-foundation.js';
import { EVENTHUB_CHECKPOINT_CONTAINER, LANDING_EVENTS_QUEUE } from '../../../shared/config/app-settings.js';
import type { EtlInfraParameters } from '../parameters.js';
import { resourceNames } from '../resource-names.js';
import { azureAppSettings } from '../settings/azure-app-settings.js';
import { AksCluster } from './aks-cluster.js';
import { DEPLOY_TIME_VALUES, placeholder } from './deploy-time-values.js';
import { writeManifestsOnSynthesis } from './kubernetes-manifest-files.js';
import { FUNCTIONS_SERVICE_ACCOUNT, kubernetesManifests, type KubernetesManifest } from './kubernetes-manifests.js';
import { ManagedPrometheus } from './managed-prometheus.js';
import { WorkloadIdentity } from './workload-identity.js';
import { GrafanaDashboardImport } from './grafana-dashboard-import.js';
import { STACK_OUTPUTS } from '../stack-outputs.js';

/** Image repository in the stack's registry; the README shows how to build and push it. */
export const IMAGE_REPOSITORY = 'scalable-etl';

/** Pods get the CPU of a Flex Consumption instance of the same memory size, so the modes compare. */
const POD_CPU_BY_MEMORY_MB: Readonly<Record<number, string>> = { 512: '250m', 2048: '1', 4096: '2' };

export class AksKedaStack extends TerraformStack {
  readonly foundation: EtlFoundation;
  readonly kubernetesManifests: readonly KubernetesManifest[];

  constructor(scope: Construct, id: string, parameters: EtlInfraParameters) {
    super(scope, id);
    configureAzure(this, parameters, 'aks');
    const names = resourceNames(parameters, 'aks');
    const foundation = new EtlFoundation(this, 'foundation', { parameters, names });
    this.foundation = foundation;
    const placement = { location: foundation.resourceGroup.location, resourceGroupName: foundation.resourceGroup.name };

    const aks = new AksCluster(this, 'aks', {
      ...placement,
      clusterName: names.kubernetesCluster,
      registryName: names.containerRegistry,
      parameters: parameters.aks,
    });
    const identities = new WorkloadIdentity(this, 'workload-identity', {
      foundation,
      oidcIssuerUrl: aks.cluster.oidcIssuerUrl,
      scalerIdentityName: names.scalerIdentity,
      namespace: parameters.aks.namespace,
      functionsServiceAccount: FUNCTIONS_SERVICE_ACCOUNT,
    });
    const prometheus = new ManagedPrometheus(this, 'prometheus', {
      ...placement,
      workspaceName: names.monitorWorkspace,
      grafanaName: names.grafana,
      clusterId: aks.cluster.id,
      adminObjectId: foundation.clientConfig.objectId,
    });

    const functionsClientId = placeholder(DEPLOY_TIME_VALUES.functionsClientId);
    const memoryMb = parameters.functions.instanceMemoryMb;
    this.kubernetesManifests = kubernetesManifests({
      namespace: parameters.aks.namespace,
      image: `${aks.registryLoginServer}/${IMAGE_REPOSITORY}:${parameters.aks.imageTag}`,
      hostId: names.hostId,
      functionsClientId,
      scalerClientId: placeholder(DEPLOY_TIME_VALUES.scalerClientId),
      settings: azureAppSettings({
        credential: 'workloadidentity',
        clientId: functionsClientId,
        storageAccountName: names.storageAccount,
        eventHubsFullyQualifiedNamespace: foundation.eventHubs.fullyQualifiedNamespace,
        eventHubs: parameters.eventHubs,
        sqlServerHostName: foundation.sql.serverHostName,
        sqlDatabaseName: parameters.sql.databaseName,
        applicationInsightsConnectionString: placeholder(DEPLOY_TIME_VALUES.applicationInsightsConnectionString),
      }),
      podResources: { cpu: POD_CPU_BY_MEMORY_MB[memoryMb] ?? '1', memory: `${memoryMb}Mi` },
      eventHubNamespace: names.eventHubsNamespace,
      eventHubs: parameters.eventHubs,
      storageAccountName: names.storageAccount,
      checkpointContainer: EVENTHUB_CHECKPOINT_CONTAINER,
      landingEventsQueue: LANDING_EVENTS_QUEUE,
      keda: parameters.keda,
    });
    writeManifestsOnSynthesis(this, this.kubernetesManifests);

    // One output per placeholder in the manifests, same name: the apply step substitutes them.
    new TerraformOutput(this, DEPLOY_TIME_VALUES.functionsClientId, { value: foundation.functionsIdentity.clientId });
    new TerraformOutput(this, DEPLOY_TIME_VALUES.scalerClientId, { value: identities.scalerIdentity.clientId });
    new TerraformOutput(this, DEPLOY_TIME_VALUES.applicationInsightsConnectionString, {
      value: foundation.monitoring.applicationInsights.connectionString,
      sensitive: true,
    });
    const dashboard = new GrafanaDashboardImport(this, 'grafana-dashboard', {
      grafana: prometheus.grafana,
      resourceGroupName: foundation.resourceGroup.name,
      dependsOn: [prometheus.deployerGrafanaAdmin],
    });

    foundation.addOutputs(this);
    const o = STACK_OUTPUTS;
    new TerraformOutput(this, o.clusterName, { value: aks.cluster.name });
    new TerraformOutput(this, o.registryName, { value: aks.registry.name });
    new TerraformOutput(this, o.registryLoginServer, { value: aks.registryLoginServer });
    new TerraformOutput(this, o.namespace, { value: parameters.aks.namespace });
    new TerraformOutput(this, o.hostId, { value: names.hostId });
    new TerraformOutput(this, o.grafanaUrl, { value: `${prometheus.grafana.endpoint}/d/${dashboard.dashboardUid}` });
  }
}
