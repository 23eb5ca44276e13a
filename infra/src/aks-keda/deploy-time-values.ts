/**
 * Values the Kubernetes manifests need but Azure assigns only at deployment (identity client ids,
 * the Application Insights connection string). The manifests carry `${NAME}` placeholders; the
 * aks-keda stack has a Terraform output of the same name for each, and the README's apply step
 * substitutes them (`envsubst`) before `kubectl apply`.
 */
export const DEPLOY_TIME_VALUES = {
  functionsClientId: 'ETL_FUNCTIONS_CLIENT_ID',
  scalerClientId: 'ETL_SCALER_CLIENT_ID',
  applicationInsightsConnectionString: 'APPLICATIONINSIGHTS_CONNECTION_STRING',
} as const;

export type DeployTimeValueName = (typeof DEPLOY_TIME_VALUES)[keyof typeof DEPLOY_TIME_VALUES];

export function placeholder(name: DeployTimeValueName): string {
  return `\${${name}}`;
}
