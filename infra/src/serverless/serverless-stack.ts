/**
 * The serverless stack: the function app on the Flex Consumption plan (Node 22, per-function
 * scaling, identity-based connections only) on top of the shared foundation. Blobs reach `extract`
 * through Event Grid → Storage queue `landing-events` (EtlStorage), a trigger Flex supports.
 */
import { FunctionAppFlexConsumption } from '@cdktf/provider-azurerm/lib/function-app-flex-consumption/index.js';
import { ServicePlan } from '@cdktf/provider-azurerm/lib/service-plan/index.js';
import { TerraformOutput, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { configureAzure } from '../building-blocks/azure-provider.js';
import { EtlFoundation } from '../building-blocks/etl-foundation.js';
import type { EtlInfraParameters } from '../parameters.js';
import { resourceNames } from '../resource-names.js';
import { azureAppSettings } from '../settings/azure-app-settings.js';
import { flexAppSettings } from '../settings/flex-app-settings.js';
import { STACK_OUTPUTS } from '../stack-outputs.js';
import { PipelineWorkbook } from './pipeline-workbook.js';

/** Blob container Flex Consumption deploys the app package to (`az functionapp deployment`). */
export const DEPLOYMENT_CONTAINER = 'app-package';

export class ServerlessStack extends TerraformStack {
  readonly foundation: EtlFoundation;
  readonly functionApp: FunctionAppFlexConsumption;

  constructor(scope: Construct, id: string, parameters: EtlInfraParameters) {
    super(scope, id);
    configureAzure(this, parameters, 'fx');
    const names = resourceNames(parameters, 'fx');
    const foundation = new EtlFoundation(this, 'foundation', { parameters, names, extraContainers: [DEPLOYMENT_CONTAINER] });
    this.foundation = foundation;
    const placement = { location: foundation.resourceGroup.location, resourceGroupName: foundation.resourceGroup.name };
    const identity = foundation.functionsIdentity;

    const plan = new ServicePlan(this, 'plan', { ...placement, name: names.servicePlan, osType: 'Linux', skuName: 'FC1' });
    // Each setting where the provider keeps it on read, so a plan after apply shows no change.
    const settings = flexAppSettings(
      azureAppSettings({
        credential: 'managedidentity',
        clientId: identity.clientId,
        storageAccountName: foundation.storage.account.name,
        eventHubsFullyQualifiedNamespace: foundation.eventHubs.fullyQualifiedNamespace,
        eventHubs: parameters.eventHubs,
        sqlServerHostName: foundation.sql.serverHostName,
        sqlDatabaseName: foundation.sql.database.name,
        applicationInsightsConnectionString: foundation.monitoring.applicationInsights.connectionString,
      }),
    );
    this.functionApp = new FunctionAppFlexConsumption(this, 'function-app', {
      ...placement,
      name: names.functionApp,
      servicePlanId: plan.id,
      runtimeName: 'node',
      runtimeVersion: parameters.functions.nodeVersion,
      instanceMemoryInMb: parameters.functions.instanceMemoryMb,
      maximumInstanceCount: parameters.functions.maximumInstanceCount,
      storageContainerType: 'blobContainer',
      storageContainerEndpoint: `${foundation.storage.account.primaryBlobEndpoint}${DEPLOYMENT_CONTAINER}`,
      storageAuthenticationType: 'UserAssignedIdentity',
      storageUserAssignedIdentityId: identity.id,
      identity: { type: 'UserAssigned', identityIds: [identity.id] },
      httpsOnly: true,
      webdeployPublishBasicAuthenticationEnabled: false,
      siteConfig: {
        minimumTlsVersion: '1.2',
        scmMinimumTlsVersion: '1.2',
        http2Enabled: true,
        applicationInsightsConnectionString: settings.applicationInsightsConnectionString,
      },
      appSettings: { ...settings.appSettings },
      // The host reads its deployment package and locks with this identity from the first start;
      // the endpoint names the container by a literal, so its existence is a dependency of its own.
      dependsOn: [...foundation.functionsIdentityGrants, foundation.storage.container(DEPLOYMENT_CONTAINER)],
    });

    const workbook = new PipelineWorkbook(this, 'dashboard', {
      ...placement,
      uniqueName: names.functionApp,
      subscriptionId: foundation.clientConfig.subscriptionId,
      applicationInsightsId: foundation.monitoring.applicationInsights.id,
      eventHubsNamespaceId: foundation.eventHubs.namespace.id,
      functionAppId: this.functionApp.id,
    });

    foundation.addOutputs(this);
    new TerraformOutput(this, STACK_OUTPUTS.functionAppName, { value: this.functionApp.name });
    new TerraformOutput(this, STACK_OUTPUTS.functionAppHostName, { value: this.functionApp.defaultHostname });
    new TerraformOutput(this, STACK_OUTPUTS.workbookUrl, { value: `https://portal.azure.com/#resource${workbook.workbook.id}/workbook` });
  }
}
