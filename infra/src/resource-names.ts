/**
 * Resource names of one stack. Both stacks deploy the same building blocks side by side, so every
 * name carries the stack's short key; globally unique names (DNS labels) also carry the suffix.
 */
import type { EtlInfraParameters } from './parameters.js';

/** Short key per stack: part of every name, so both stacks can live in one subscription. */
export type StackKey = 'fx' | 'aks';

export interface ResourceNames {
  readonly resourceGroup: string;
  /** 3–24 lower-case letters and digits, globally unique. */
  readonly storageAccount: string;
  /** Globally unique: `<name>.servicebus.windows.net`. */
  readonly eventHubsNamespace: string;
  /** Globally unique: `<name>.database.windows.net`. */
  readonly sqlServer: string;
  readonly logAnalytics: string;
  readonly applicationInsights: string;
  readonly functionsIdentity: string;
  readonly eventGridTopic: string;
  readonly functionApp: string;
  readonly servicePlan: string;
  /** 5–50 letters and digits, globally unique: `<name>.azurecr.io`. */
  readonly containerRegistry: string;
  readonly kubernetesCluster: string;
  readonly scalerIdentity: string;
  readonly monitorWorkspace: string;
  readonly grafana: string;
  /** The Functions host id shared by all pods or instances (docs/functions-host.md). */
  readonly hostId: string;
}

/** Lengths fit every Azure limit because resolveParameters bounds the parts (≤ 19 characters together). */
export function resourceNames(p: EtlInfraParameters, stack: StackKey): ResourceNames {
  const base = `${p.prefix}-${p.environment}-${stack}`;
  const compact = `${p.prefix}${p.environment}${stack}${p.uniqueSuffix}`;
  return {
    resourceGroup: `rg-${base}`,
    storageAccount: `st${compact}`,
    eventHubsNamespace: `evhns-${base}-${p.uniqueSuffix}`,
    sqlServer: `sql-${base}-${p.uniqueSuffix}`,
    logAnalytics: `log-${base}`,
    applicationInsights: `appi-${base}`,
    functionsIdentity: `id-${base}-functions`,
    eventGridTopic: `evgt-${base}-storage`,
    functionApp: `func-${base}-${p.uniqueSuffix}`,
    servicePlan: `asp-${base}`,
    containerRegistry: `cr${compact}`,
    kubernetesCluster: `aks-${base}`,
    scalerIdentity: `id-${base}-keda`,
    monitorWorkspace: `amw-${base}`,
    grafana: `amg-${p.prefix}${p.environment}${p.uniqueSuffix}`,
    hostId: `${p.prefix}-${p.environment}-${stack}`,
  };
}
