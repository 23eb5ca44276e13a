/** Log Analytics workspace and the workspace-based Application Insights resource both stacks report to. */
import { ApplicationInsights } from '@cdktf/provider-azurerm/lib/application-insights/index.js';
import { LogAnalyticsWorkspace } from '@cdktf/provider-azurerm/lib/log-analytics-workspace/index.js';
import { Construct } from 'constructs';

export interface EtlMonitoringProps {
  readonly logAnalyticsName: string;
  readonly applicationInsightsName: string;
  readonly location: string;
  readonly resourceGroupName: string;
}

export class EtlMonitoring extends Construct {
  readonly workspace: LogAnalyticsWorkspace;
  readonly applicationInsights: ApplicationInsights;

  constructor(scope: Construct, id: string, props: EtlMonitoringProps) {
    super(scope, id);
    this.workspace = new LogAnalyticsWorkspace(this, 'workspace', {
      name: props.logAnalyticsName,
      location: props.location,
      resourceGroupName: props.resourceGroupName,
      sku: 'PerGB2018',
      retentionInDays: 30,
    });
    this.applicationInsights = new ApplicationInsights(this, 'app-insights', {
      name: props.applicationInsightsName,
      location: props.location,
      resourceGroupName: props.resourceGroupName,
      workspaceId: this.workspace.id,
      applicationType: 'Node.JS',
    });
  }
}
