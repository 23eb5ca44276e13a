/**
 * Everything both stacks share: resource group, storage, Event Hubs, Azure SQL, monitoring and the
 * user-assigned identity the function app runs as, with its role assignments. Each stack creates
 * one foundation, so Flex Consumption and AKS + KEDA run on otherwise identical resources.
 */
import type { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment/index.js';
import { DataAzurermClientConfig } from '@cdktf/provider-azurerm/lib/data-azurerm-client-config/index.js';
import { ResourceGroup } from '@cdktf/provider-azurerm/lib/resource-group/index.js';
import { UserAssignedIdentity } from '@cdktf/provider-azurerm/lib/user-assigned-identity/index.js';
import { TerraformOutput } from 'cdktf';
import { Construct } from 'constructs';
import type { EtlInfraParameters } from '../parameters.js';
import type { ResourceNames } from '../resource-names.js';
import { STACK_OUTPUTS } from '../stack-outputs.js';
import { EtlEventHubs } from './etl-event-hubs.js';
import { EtlMonitoring } from './etl-monitoring.js';
import { EtlSql } from './etl-sql.js';
import { EtlStorage } from './etl-storage.js';
import { grantRole } from './role-grant.js';

export interface EtlFoundationProps {
  readonly parameters: EtlInfraParameters;
  readonly names: ResourceNames;
  /** Extra storage containers the stack needs (e.g. Flex Consumption's deployment container). */
  readonly extraContainers?: readonly string[];
}

export class EtlFoundation extends Construct {
  readonly clientConfig: DataAzurermClientConfig;
  readonly resourceGroup: ResourceGroup;
  readonly monitoring: EtlMonitoring;
  readonly storage: EtlStorage;
  readonly eventHubs: EtlEventHubs;
  readonly sql: EtlSql;
  /** The identity the function app (Flex instances or AKS pods) runs as. */
  readonly functionsIdentity: UserAssignedIdentity;
  /** The function identity's role assignments: the function app depends on them. */
  readonly functionsIdentityGrants: RoleAssignment[];

  constructor(scope: Construct, id: string, props: EtlFoundationProps) {
    super(scope, id);
    const { parameters: p, names } = props;
    this.clientConfig = new DataAzurermClientConfig(this, 'client');
    this.resourceGroup = new ResourceGroup(this, 'resource-group', { name: names.resourceGroup, location: p.location });
    const placement = { location: this.resourceGroup.location, resourceGroupName: this.resourceGroup.name };

    this.monitoring = new EtlMonitoring(this, 'monitoring', {
      ...placement,
      logAnalyticsName: names.logAnalytics,
      applicationInsightsName: names.applicationInsights,
    });
    this.storage = new EtlStorage(this, 'storage', {
      ...placement,
      name: names.storageAccount,
      eventGridTopicName: names.eventGridTopic,
      extraContainers: props.extraContainers,
    });
    this.eventHubs = new EtlEventHubs(this, 'event-hubs', { ...placement, name: names.eventHubsNamespace, parameters: p.eventHubs });
    this.sql = new EtlSql(this, 'sql', {
      ...placement,
      name: names.sqlServer,
      tenantId: this.clientConfig.tenantId,
      deployerObjectId: this.clientConfig.objectId,
      parameters: p.sql,
    });
    this.functionsIdentity = new UserAssignedIdentity(this, 'functions-identity', { ...placement, name: names.functionsIdentity });
    this.functionsIdentityGrants = this.grantFunctionsIdentity();
    // The deploy command's smoke test (and `npm run load-test --status-url`) uploads with the
    // deployer's Azure CLI identity: the account takes no shared keys.
    grantRole(this, 'deployer-blob-contributor', {
      role: 'Storage Blob Data Contributor',
      principalId: this.clientConfig.objectId,
      resourceId: this.storage.account.id,
      reason: 'the deployer uploads test files to landing and reads the host keys',
    });
  }

  /** The outputs every stack has (names in stack-outputs.ts), for the deploy command. */
  addOutputs(stack: Construct): void {
    const o = STACK_OUTPUTS;
    new TerraformOutput(stack, o.resourceGroup, { value: this.resourceGroup.name });
    new TerraformOutput(stack, o.storageAccount, { value: this.storage.account.name });
    new TerraformOutput(stack, o.sqlServerName, { value: this.sql.server.name });
    new TerraformOutput(stack, o.sqlServerHostName, { value: this.sql.serverHostName });
    new TerraformOutput(stack, o.sqlDatabase, { value: this.sql.database.name });
    new TerraformOutput(stack, o.functionsIdentityName, { value: this.functionsIdentity.name });
    new TerraformOutput(stack, o.functionsIdentityClientId, { value: this.functionsIdentity.clientId });
  }

  private grantFunctionsIdentity(): RoleAssignment[] {
    const principal = { principalId: this.functionsIdentity.principalId, principalType: 'ServicePrincipal' as const };
    const account = this.storage.account.id;
    const hubs = this.eventHubs;
    return [
      // The Functions host's own storage (AzureWebJobsStorage__accountName) needs Owner: Microsoft's
      // page on connecting to host storage with an identity names this role (see infra/README.md).
      grantRole(this, 'functions-blob-owner', {
        ...principal,
        role: 'Storage Blob Data Owner',
        resourceId: account,
        reason: 'host storage (locks, keys, deployment package); read landing; write rejected, dead letters, checkpoints',
      }),
      grantRole(this, 'functions-queue-contributor', {
        ...principal,
        role: 'Storage Queue Data Contributor',
        resourceId: account,
        reason: 'extract queue trigger on landing-events (read, delete, move to poison); extractSweep puts lost landing events back',
      }),
      grantRole(this, 'functions-records-sender', {
        ...principal,
        role: 'Azure Event Hubs Data Sender',
        resourceId: hubs.recordsHub.id,
        reason: 'extract publishes row chunks',
      }),
      grantRole(this, 'functions-records-receiver', {
        ...principal,
        role: 'Azure Event Hubs Data Receiver',
        resourceId: hubs.recordsHub.id,
        reason: 'transform consumes row chunks',
      }),
      grantRole(this, 'functions-aggregates-sender', {
        ...principal,
        role: 'Azure Event Hubs Data Sender',
        resourceId: hubs.aggregatesHub.id,
        reason: 'transform publishes partial aggregates (outbox)',
      }),
      grantRole(this, 'functions-aggregates-receiver', {
        ...principal,
        role: 'Azure Event Hubs Data Receiver',
        resourceId: hubs.aggregatesHub.id,
        reason: 'aggregate consumes partial aggregates',
      }),
    ];
  }
}
