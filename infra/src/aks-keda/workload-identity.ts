/**
 * Workload identity wiring: the function pods' ServiceAccount federated with the function
 * identity, and KEDA's operator federated with a separate scaler identity that can only read
 * (Event Hubs metadata, checkpoint blobs, queue length), never write or send.
 */
import { FederatedIdentityCredential } from '@cdktf/provider-azurerm/lib/federated-identity-credential/index.js';
import { UserAssignedIdentity } from '@cdktf/provider-azurerm/lib/user-assigned-identity/index.js';
import { Construct } from 'constructs';
import type { EtlFoundation } from '../building-blocks/etl-foundation.js';
import { EVENTHUB_CHECKPOINT_CONTAINER } from '../../../shared/config/app-settings.js';
import { grantRole } from '../building-blocks/role-grant.js';

/** Service account of the managed KEDA add-on's operator. */
export const KEDA_OPERATOR_SUBJECT = 'system:serviceaccount:kube-system:keda-operator';
const TOKEN_EXCHANGE_AUDIENCE = 'api://AzureADTokenExchange';

export interface WorkloadIdentityProps {
  readonly foundation: EtlFoundation;
  readonly oidcIssuerUrl: string;
  readonly scalerIdentityName: string;
  readonly namespace: string;
  readonly functionsServiceAccount: string;
}

export class WorkloadIdentity extends Construct {
  readonly scalerIdentity: UserAssignedIdentity;

  constructor(scope: Construct, id: string, props: WorkloadIdentityProps) {
    super(scope, id);
    const f = props.foundation;
    new FederatedIdentityCredential(this, 'functions-federation', {
      name: 'aks-etl-functions',
      resourceGroupName: f.resourceGroup.name,
      parentId: f.functionsIdentity.id,
      issuer: props.oidcIssuerUrl,
      subject: `system:serviceaccount:${props.namespace}:${props.functionsServiceAccount}`,
      audience: [TOKEN_EXCHANGE_AUDIENCE],
    });

    this.scalerIdentity = new UserAssignedIdentity(this, 'scaler-identity', {
      name: props.scalerIdentityName,
      location: f.resourceGroup.location,
      resourceGroupName: f.resourceGroup.name,
    });
    new FederatedIdentityCredential(this, 'keda-federation', {
      name: 'aks-keda-operator',
      resourceGroupName: f.resourceGroup.name,
      parentId: this.scalerIdentity.id,
      issuer: props.oidcIssuerUrl,
      subject: KEDA_OPERATOR_SUBJECT,
      audience: [TOKEN_EXCHANGE_AUDIENCE],
    });

    const principal = { principalId: this.scalerIdentity.principalId, principalType: 'ServicePrincipal' as const };
    grantRole(this, 'scaler-records-receiver', {
      ...principal,
      role: 'Azure Event Hubs Data Receiver',
      resourceId: f.eventHubs.recordsHub.id,
      reason: 'KEDA reads the records partitions’ last sequence numbers',
    });
    grantRole(this, 'scaler-aggregates-receiver', {
      ...principal,
      role: 'Azure Event Hubs Data Receiver',
      resourceId: f.eventHubs.aggregatesHub.id,
      reason: 'KEDA reads the aggregates partitions’ last sequence numbers',
    });
    grantRole(this, 'scaler-checkpoint-reader', {
      ...principal,
      role: 'Storage Blob Data Reader',
      resourceId: f.storage.container(EVENTHUB_CHECKPOINT_CONTAINER).id,
      reason: 'KEDA reads checkpoint blob metadata to compute lag',
    });
    grantRole(this, 'scaler-queue-reader', {
      ...principal,
      role: 'Storage Queue Data Reader',
      resourceId: f.storage.landingEventsQueue.id,
      reason: 'KEDA reads the landing-events queue length',
    });
  }
}
