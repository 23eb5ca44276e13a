/**
 * Azure SQL logical server with Entra-only authentication (no SQL logins, no password anywhere) and
 * one database, serverless by default. The function identity becomes a database user in the
 * deploy's database step (infra/deploy/database-access.ts): T-SQL run with the server admin's
 * Entra token, which Terraform's azurerm provider cannot issue.
 */
import { MssqlDatabase } from '@cdktf/provider-azurerm/lib/mssql-database/index.js';
import { MssqlFirewallRule } from '@cdktf/provider-azurerm/lib/mssql-firewall-rule/index.js';
import { MssqlServer } from '@cdktf/provider-azurerm/lib/mssql-server/index.js';
import { Construct } from 'constructs';
import type { SqlParameters } from '../parameters.js';

export interface EtlSqlProps {
  readonly name: string;
  readonly location: string;
  readonly resourceGroupName: string;
  readonly tenantId: string;
  readonly parameters: SqlParameters;
  /** Used as Entra admin when the parameters name none: whoever runs the deploy (Terraform signs in as the Azure CLI). */
  readonly deployerObjectId: string;
}

export class EtlSql extends Construct {
  readonly server: MssqlServer;
  readonly database: MssqlDatabase;
  /** `<server>.database.windows.net`: known before deployment. */
  readonly serverHostName: string;

  constructor(scope: Construct, id: string, props: EtlSqlProps) {
    super(scope, id);
    const p = props.parameters;
    const admin = p.entraAdmin ?? { login: 'etl-deployer', objectId: props.deployerObjectId };
    this.server = new MssqlServer(this, 'server', {
      name: props.name,
      location: props.location,
      resourceGroupName: props.resourceGroupName,
      version: '12.0',
      minimumTlsVersion: '1.2',
      azureadAdministrator: {
        loginUsername: admin.login,
        objectId: admin.objectId,
        tenantId: props.tenantId,
        azureadAuthenticationOnly: true,
      },
    });
    this.serverHostName = `${props.name}.database.windows.net`;

    // Flex Consumption without VNet integration and AKS egress have no fixed addresses; this rule
    // admits Azure-hosted clients only, and Entra-only auth still gates every connection.
    new MssqlFirewallRule(this, 'allow-azure-services', {
      name: 'AllowAzureServices',
      serverId: this.server.id,
      startIpAddress: '0.0.0.0',
      endIpAddress: '0.0.0.0',
    });

    const serverless = p.skuName.startsWith('GP_S_');
    this.database = new MssqlDatabase(this, 'database', {
      name: p.databaseName,
      serverId: this.server.id,
      skuName: p.skuName,
      maxSizeGb: p.maxSizeGb,
      minCapacity: serverless ? p.minCapacityVcores : undefined,
      autoPauseDelayInMinutes: serverless ? p.autoPauseDelayMinutes : undefined,
      zoneRedundant: false,
      storageAccountType: 'Local',
    });
  }
}
