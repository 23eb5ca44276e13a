/**
 * AKS cluster with the OIDC issuer and workload identity (pods get Entra tokens without secrets),
 * the managed KEDA add-on, managed Prometheus metrics collection, and a container registry the
 * kubelet pulls the function app image from.
 */
import { ContainerRegistry } from '@cdktf/provider-azurerm/lib/container-registry/index.js';
import { KubernetesCluster } from '@cdktf/provider-azurerm/lib/kubernetes-cluster/index.js';
import { Construct } from 'constructs';
import { grantRole } from '../building-blocks/role-grant.js';
import type { AksParameters } from '../parameters.js';

export interface AksClusterProps {
  readonly clusterName: string;
  readonly registryName: string;
  readonly location: string;
  readonly resourceGroupName: string;
  readonly parameters: AksParameters;
}

export class AksCluster extends Construct {
  readonly cluster: KubernetesCluster;
  readonly registry: ContainerRegistry;
  /** `<registry>.azurecr.io`: known before deployment. */
  readonly registryLoginServer: string;

  constructor(scope: Construct, id: string, props: AksClusterProps) {
    super(scope, id);
    const p = props.parameters;
    const placement = { location: props.location, resourceGroupName: props.resourceGroupName };
    this.registry = new ContainerRegistry(this, 'registry', {
      ...placement,
      name: props.registryName,
      sku: 'Basic',
      adminEnabled: false,
    });
    this.registryLoginServer = `${props.registryName}.azurecr.io`;

    this.cluster = new KubernetesCluster(this, 'cluster', {
      ...placement,
      name: props.clusterName,
      dnsPrefix: props.clusterName,
      kubernetesVersion: p.kubernetesVersion,
      skuTier: 'Free',
      oidcIssuerEnabled: true,
      workloadIdentityEnabled: true,
      workloadAutoscalerProfile: { kedaEnabled: true },
      // Managed Prometheus: the add-on scrapes cAdvisor and kube-state-metrics (pod CPU/RAM, replicas).
      monitorMetrics: { labelsAllowed: 'pods=[app,etl-function]' },
      identity: { type: 'SystemAssigned' },
      networkProfile: { networkPlugin: 'azure', networkPluginMode: 'overlay' },
      defaultNodePool: {
        name: 'system',
        vmSize: p.nodeVmSize,
        autoScalingEnabled: true,
        minCount: p.nodeMinCount,
        maxCount: p.nodeMaxCount,
        osSku: 'AzureLinux',
        upgradeSettings: { maxSurge: '10%' },
      },
    });

    grantRole(this, 'kubelet-acr-pull', {
      role: 'AcrPull',
      principalId: this.cluster.kubeletIdentity.objectId,
      principalType: 'ServicePrincipal',
      resourceId: this.registry.id,
      reason: 'nodes pull the function app image',
    });
  }
}
