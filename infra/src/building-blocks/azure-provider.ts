/** The azurerm provider and the standard tags, set up the same way in every stack. */
import { AzurermProvider } from '@cdktf/provider-azurerm/lib/provider/index.js';
import type { Construct } from 'constructs';
import type { EtlInfraParameters } from '../parameters.js';
import type { StackKey } from '../resource-names.js';
import { applyStandardTags } from './standard-tags.js';

/**
 * Resource providers a stack needs beyond the set azurerm registers by default (`legacy` in 4.55.0,
 * internal/resourceproviders/required.go): Managed Prometheus (Microsoft.Monitor) and Managed
 * Grafana (Microsoft.Dashboard) are only in the `all` set.
 */
export const EXTRA_RESOURCE_PROVIDERS: Readonly<Record<StackKey, readonly string[]>> = {
  fx: [],
  aks: ['Microsoft.Monitor', 'Microsoft.Dashboard'],
};

export function configureAzure(stack: Construct, parameters: EtlInfraParameters, stackKey: StackKey): void {
  const extraProviders = EXTRA_RESOURCE_PROVIDERS[stackKey];
  new AzurermProvider(stack, 'azurerm', {
    features: [
      {
        // Application Insights puts a smart-detection action group of its own into the resource
        // group; with the provider's default (true) `destroy` would stop at the group. Each stack
        // owns its group, so deleting what Azure added to it is what teardown means.
        resourceGroup: [{ preventDeletionIfContainsResources: false }],
      },
    ],
    // The storage account has shared keys off, so the provider must use Entra ID for data-plane calls.
    storageUseAzuread: true,
    resourceProvidersToRegister: extraProviders.length > 0 ? [...extraProviders] : undefined,
  });
  applyStandardTags(stack, {
    project: 'scalable-etl',
    environment: parameters.environment,
    stack: stackKey,
    'managed-by': 'cdktf',
    ...parameters.tags,
  });
}
