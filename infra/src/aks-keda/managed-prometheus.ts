/**
 * Managed Prometheus for the cluster (Azure Monitor workspace, data collection endpoint and rule,
 * both associated with the cluster) and Azure Managed Grafana reading it, for pod metrics.
 */
import { DashboardGrafana } from '@cdktf/provider-azurerm/lib/dashboard-grafana/index.js';
import { MonitorDataCollectionEndpoint } from '@cdktf/provider-azurerm/lib/monitor-data-collection-endpoint/index.js';
import { MonitorDataCollectionRule } from '@cdktf/provider-azurerm/lib/monitor-data-collection-rule/index.js';
import { MonitorDataCollectionRuleAssociation } from '@cdktf/provider-azurerm/lib/monitor-data-collection-rule-association/index.js';
import { MonitorWorkspace } from '@cdktf/provider-azurerm/lib/monitor-workspace/index.js';
import type { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment/index.js';
import { Construct } from 'constructs';
import { grantRole } from '../building-blocks/role-grant.js';

export interface ManagedPrometheusProps {
  readonly workspaceName: string;
  readonly grafanaName: string;
  readonly location: string;
  readonly resourceGroupName: string;
  readonly clusterId: string;
  /** Gets Grafana Admin on the Grafana instance: whoever runs the deploy. */
  readonly adminObjectId: string;
}

const PROMETHEUS_STREAM = 'Microsoft-PrometheusMetrics';
const WORKSPACE_DESTINATION = 'MonitoringAccount';

export class ManagedPrometheus extends Construct {
  readonly workspace: MonitorWorkspace;
  readonly grafana: DashboardGrafana;
  /** The deployer's Grafana Admin assignment; the dashboard import waits for it. */
  readonly deployerGrafanaAdmin: RoleAssignment;

  constructor(scope: Construct, id: string, props: ManagedPrometheusProps) {
    super(scope, id);
    const placement = { location: props.location, resourceGroupName: props.resourceGroupName };
    this.workspace = new MonitorWorkspace(this, 'workspace', { ...placement, name: props.workspaceName });
    const endpoint = new MonitorDataCollectionEndpoint(this, 'endpoint', {
      ...placement,
      name: `${props.workspaceName}-dce`,
      kind: 'Linux',
    });
    const rule = new MonitorDataCollectionRule(this, 'rule', {
      ...placement,
      name: `${props.workspaceName}-dcr`,
      kind: 'Linux',
      dataCollectionEndpointId: endpoint.id,
      dataSources: { prometheusForwarder: [{ name: 'PrometheusDataSource', streams: [PROMETHEUS_STREAM] }] },
      destinations: { monitorAccount: [{ name: WORKSPACE_DESTINATION, monitorAccountId: this.workspace.id }] },
      dataFlow: [{ streams: [PROMETHEUS_STREAM], destinations: [WORKSPACE_DESTINATION] }],
    });
    new MonitorDataCollectionRuleAssociation(this, 'rule-association', {
      name: 'etl-prometheus',
      targetResourceId: props.clusterId,
      dataCollectionRuleId: rule.id,
    });
    // The metrics agent finds its endpoint through an association with exactly this name.
    new MonitorDataCollectionRuleAssociation(this, 'endpoint-association', {
      name: 'configurationAccessEndpoint',
      targetResourceId: props.clusterId,
      dataCollectionEndpointId: endpoint.id,
    });

    this.grafana = new DashboardGrafana(this, 'grafana', {
      ...placement,
      name: props.grafanaName,
      grafanaMajorVersion: '11',
      sku: 'Standard',
      apiKeyEnabled: false,
      identity: { type: 'SystemAssigned' },
      azureMonitorWorkspaceIntegrations: [{ resourceId: this.workspace.id }],
    });
    grantRole(this, 'grafana-reads-prometheus', {
      role: 'Monitoring Data Reader',
      principalId: this.grafana.identity.principalId,
      principalType: 'ServicePrincipal',
      resourceId: this.workspace.id,
      reason: 'Grafana queries the Prometheus metrics',
    });
    this.deployerGrafanaAdmin = grantRole(this, 'deployer-grafana-admin', {
      role: 'Grafana Admin',
      principalId: props.adminObjectId,
      resourceId: this.grafana.id,
      reason: 'the deployer imports dashboards/ into Grafana',
    });
  }
}
