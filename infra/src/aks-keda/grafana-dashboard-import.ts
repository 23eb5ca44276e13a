/**
 * Imports `dashboards/grafana-dashboard.json` into the stack's Managed Grafana during `apply`. The
 * azurerm provider has no resource for a dashboard inside Grafana, and no prebuilt cdktf binding of
 * a Grafana provider is installable here; so a `terraform_data` resource runs
 * `az grafana dashboard import` (Azure CLI extension `amg`) on the deployer's machine. It runs again
 * whenever the dashboard file or the Grafana instance changes. The file is written beside the
 * stack's Terraform JSON, so the command never carries the dashboard's `${…}` variables through
 * Terraform's string interpolation.
 */
import type { DashboardGrafana } from '@cdktf/provider-azurerm/lib/dashboard-grafana/index.js';
import { DataResource, type ITerraformDependable, type TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { readDashboard, sha256 } from '../building-blocks/dashboard-files.js';
import { writeFilesOnSynthesis } from '../building-blocks/files-beside-stack.js';

/** Where the dashboard is written, relative to the stack's folder (Terraform's working directory). */
export const GRAFANA_DASHBOARD_FILE = 'dashboards/grafana-dashboard.json';

/** A role assignment made in the same apply takes minutes to reach Grafana: ten tries, 30 s apart. */
export const IMPORT_ATTEMPTS = 10;

export interface GrafanaDashboardImportProps {
  readonly grafana: DashboardGrafana;
  readonly resourceGroupName: string;
  /** The deployer's Grafana Admin assignment: the import runs with the deployer's identity. */
  readonly dependsOn: readonly ITerraformDependable[];
}

/** The import as the provisioner runs it (in the stack's folder), also printed by the deploy's dry run. */
export function dashboardImportCommand(resourceGroupName: string, grafanaName: string): string {
  return [
    'az grafana dashboard import',
    `--resource-group ${resourceGroupName}`,
    `--name ${grafanaName}`,
    `--definition ${GRAFANA_DASHBOARD_FILE}`,
    '--overwrite true --only-show-errors --output none',
  ].join(' ');
}

export class GrafanaDashboardImport extends Construct {
  readonly resource: DataResource;
  /** The dashboard's uid, for its URL: `<grafana endpoint>/d/<uid>`. */
  readonly dashboardUid: string;

  constructor(scope: TerraformStack, id: string, props: GrafanaDashboardImportProps) {
    super(scope, id);
    const dashboard = readDashboard('grafana-dashboard.json');
    this.dashboardUid = (JSON.parse(dashboard) as { uid: string }).uid;
    writeFilesOnSynthesis(scope, () => [{ path: GRAFANA_DASHBOARD_FILE, content: dashboard }]);
    const importCommand = dashboardImportCommand(props.resourceGroupName, props.grafana.name);
    this.resource = new DataResource(this, 'import', {
      triggersReplace: { dashboardSha256: sha256(dashboard), grafanaId: props.grafana.id },
      dependsOn: [...props.dependsOn],
      provisioners: [
        {
          type: 'local-exec',
          interpreter: ['/bin/sh', '-c'],
          command:
            `for attempt in $(seq 1 ${IMPORT_ATTEMPTS}); do ${importCommand} && exit 0; ` +
            `echo "Grafana refused the dashboard import (attempt $attempt of ${IMPORT_ATTEMPTS}; a new role assignment takes minutes to arrive); retrying in 30 s" >&2; ` +
            'sleep 30; done; exit 1',
        },
      ],
    });
  }
}
