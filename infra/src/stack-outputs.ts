/**
 * The Terraform outputs the deploy command reads after `apply`, by name: one list, so the stacks
 * and `infra/deploy/` cannot disagree on a spelling. Most values are names fixed by the
 * parameters; `plannedOutputs` gives those before anything exists (the dry run prints them).
 */
import type { EtlInfraParameters } from './parameters.js';
import { resourceNames, type StackKey } from './resource-names.js';

export const STACK_OUTPUTS = {
  resourceGroup: 'resource_group_name',
  storageAccount: 'storage_account_name',
  sqlServerName: 'sql_server_name',
  sqlServerHostName: 'sql_server_host_name',
  sqlDatabase: 'sql_database_name',
  functionsIdentityName: 'functions_identity_name',
  functionsIdentityClientId: 'functions_identity_client_id',
  /** serverless */
  functionAppName: 'function_app_name',
  functionAppHostName: 'function_app_default_hostname',
  workbookUrl: 'workbook_url',
  /** aks-keda */
  clusterName: 'cluster_name',
  registryName: 'registry_name',
  registryLoginServer: 'registry_login_server',
  grafanaUrl: 'grafana_dashboard_url',
  namespace: 'kubernetes_namespace',
  hostId: 'functions_host_id',
} as const;

export type StackOutputName = (typeof STACK_OUTPUTS)[keyof typeof STACK_OUTPUTS];

/** What the outputs will hold, as far as the parameters fix it; the rest as `<output name>`. */
export function plannedOutputs(parameters: EtlInfraParameters, stack: StackKey): Record<string, string> {
  const names = resourceNames(parameters, stack);
  const o = STACK_OUTPUTS;
  const common: Record<string, string> = {
    [o.resourceGroup]: names.resourceGroup,
    [o.storageAccount]: names.storageAccount,
    [o.sqlServerName]: names.sqlServer,
    [o.sqlServerHostName]: `${names.sqlServer}.database.windows.net`,
    [o.sqlDatabase]: parameters.sql.databaseName,
    [o.functionsIdentityName]: names.functionsIdentity,
    [o.functionsIdentityClientId]: `<${o.functionsIdentityClientId}>`,
  };
  if (stack === 'fx') {
    return {
      ...common,
      [o.functionAppName]: names.functionApp,
      [o.functionAppHostName]: `<${o.functionAppHostName}>`,
      [o.workbookUrl]: `<${o.workbookUrl}>`,
    };
  }
  return {
    ...common,
    [o.clusterName]: names.kubernetesCluster,
    [o.registryName]: names.containerRegistry,
    [o.registryLoginServer]: `${names.containerRegistry}.azurecr.io`,
    [o.grafanaUrl]: `<${o.grafanaUrl}>`,
    [o.namespace]: parameters.aks.namespace,
    [o.hostId]: names.hostId,
  };
}
