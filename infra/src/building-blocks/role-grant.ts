/**
 * Least-privilege role assignments: one built-in role to one principal on exactly one resource
 * (never a resource group or subscription). The policy test checks every assignment's scope.
 */
import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment/index.js';
import type { Construct } from 'constructs';

/** The built-in roles this project grants; a union so a typo fails type-checking, not deployment. */
export type BuiltInRole =
  | 'Storage Blob Data Owner'
  | 'Storage Blob Data Contributor'
  | 'Storage Blob Data Reader'
  | 'Storage Queue Data Contributor'
  | 'Storage Queue Data Reader'
  | 'Storage Queue Data Message Sender'
  | 'Azure Event Hubs Data Sender'
  | 'Azure Event Hubs Data Receiver'
  | 'AcrPull'
  | 'Monitoring Data Reader'
  | 'Grafana Admin';

export interface RoleGrant {
  readonly role: BuiltInRole;
  readonly principalId: string;
  /** ARM id of the one resource the role applies to. */
  readonly resourceId: string;
  /** Set for managed identities: skips the Entra lookup that fails right after the identity is created. */
  readonly principalType?: 'ServicePrincipal' | 'User' | 'Group';
  /** Why this principal needs this role; lands in the assignment's description. */
  readonly reason: string;
}

export function grantRole(scope: Construct, id: string, grant: RoleGrant): RoleAssignment {
  return new RoleAssignment(scope, id, {
    scope: grant.resourceId,
    roleDefinitionName: grant.role,
    principalId: grant.principalId,
    principalType: grant.principalType,
    skipServicePrincipalAadCheck: grant.principalType === 'ServicePrincipal' ? true : undefined,
    description: grant.reason,
  });
}
