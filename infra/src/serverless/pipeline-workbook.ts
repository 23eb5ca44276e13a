/**
 * The Azure Monitor workbook of `dashboards/azure-monitor-workbook.json`, deployed as a shared
 * workbook in the stack's resource group with its resource pickers preset to this stack's
 * Application Insights, Event Hubs namespace and function app, so it shows data when first opened.
 */
import { ApplicationInsightsWorkbook } from '@cdktf/provider-azurerm/lib/application-insights-workbook/index.js';
import { Fn } from 'cdktf';
import { Construct } from 'constructs';
import { readDashboard, uuidFromName } from '../building-blocks/dashboard-files.js';

export interface PipelineWorkbookProps {
  readonly location: string;
  readonly resourceGroupName: string;
  /** Makes the workbook's id unique per deployment (its name must be a UUID). */
  readonly uniqueName: string;
  readonly subscriptionId: string;
  readonly applicationInsightsId: string;
  readonly eventHubsNamespaceId: string;
  readonly functionAppId: string;
}

interface WorkbookParameter {
  name: string;
  value?: unknown;
}
interface Workbook {
  items: Array<{ type: number; content: { parameters?: WorkbookParameter[] } }>;
}

export const WORKBOOK_DISPLAY_NAME = 'ScalableETL pipeline';

/** The file's workbook with the resource parameters preset; Terraform fills the ids in. */
export function presetWorkbook(source: string, values: Readonly<Record<string, string>>): string {
  const workbook = JSON.parse(source) as Workbook;
  const preset = new Set<string>();
  for (const item of workbook.items) {
    for (const parameter of item.content.parameters ?? []) {
      if (values[parameter.name] !== undefined) {
        parameter.value = values[parameter.name];
        preset.add(parameter.name);
      }
    }
  }
  const missing = Object.keys(values).filter((name) => !preset.has(name));
  if (missing.length > 0) throw new Error(`the workbook has no parameter ${missing.join(', ')}`);
  return JSON.stringify(workbook);
}

export class PipelineWorkbook extends Construct {
  readonly workbook: ApplicationInsightsWorkbook;

  constructor(scope: Construct, id: string, props: PipelineWorkbookProps) {
    super(scope, id);
    this.workbook = new ApplicationInsightsWorkbook(this, 'workbook', {
      name: uuidFromName(`workbook/${props.uniqueName}`),
      location: props.location,
      resourceGroupName: props.resourceGroupName,
      displayName: WORKBOOK_DISPLAY_NAME,
      category: 'workbook',
      // The provider refuses upper-case letters here; ARM ids have them (resourceGroups, Microsoft.Insights).
      sourceId: Fn.lower(props.applicationInsightsId),
      dataJson: presetWorkbook(readDashboard('azure-monitor-workbook.json'), {
        Subscription: `/subscriptions/${props.subscriptionId}`,
        AppInsights: props.applicationInsightsId,
        EventHubNamespace: props.eventHubsNamespaceId,
        FunctionApp: props.functionAppId,
      }),
    });
  }
}
