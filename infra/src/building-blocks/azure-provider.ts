/** The azurerm provider and the standard tags, set up the same way in every stack. */
import { AzurermProvider } from '@cdktf/provider-azurerm/lib/provider/index.js';
import type { Construct } from 'constructs';
import type { EtlInfraParameters } from '../parameters.js';
import type { StackKey } from '../resource-names.js';
import { applyStandardTags } from './standard-tags.js';

export function configureAzure(stack: Construct, parameters: EtlInfraParameters, stackKey: StackKey): void {
  new AzurermProvider(stack, 'azurerm', {
    features: [{}],
    // The storage account has shared keys off, so the provider must use Entra ID for data-plane calls.
    storageUseAzuread: true,
  });
  applyStandardTags(stack, {
    project: 'scalable-etl',
    environment: parameters.environment,
    stack: stackKey,
    'managed-by': 'cdktf',
    ...parameters.tags,
  });
}
