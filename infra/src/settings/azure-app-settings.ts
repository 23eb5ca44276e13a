/**
 * The app settings infra writes in Azure, keyed by the app's own settings contract
 * (`shared/config/app-settings.ts`): a name the app does not read is a type error here, and the
 * settings-contract test checks the synthesized output against the same list.
 */
import type { AppSettingName } from '../../../shared/config/app-settings.js';
import type { EventHubsParameters } from '../parameters.js';

/** Functions host credential kind for identity-based connections (docs/functions-host.md). */
export type IdentityCredentialKind = 'managedidentity' | 'workloadidentity';

export interface AzureAppSettingsInput {
  readonly credential: IdentityCredentialKind;
  /** Client id of the user-assigned identity the app runs as (a token or a placeholder). */
  readonly clientId: string;
  readonly storageAccountName: string;
  readonly eventHubsFullyQualifiedNamespace: string;
  readonly eventHubs: EventHubsParameters;
  readonly sqlServerHostName: string;
  readonly sqlDatabaseName: string;
  readonly applicationInsightsConnectionString: string;
}

export type AzureAppSettings = Readonly<Partial<Record<AppSettingName, string>>>;

/**
 * Identity-based connections only: account and namespace names plus the identity's client id,
 * never a key or connection string. Settings whose default already fits Azure are left out.
 */
export function azureAppSettings(input: AzureAppSettingsInput): AzureAppSettings {
  const identity = { credential: input.credential, clientId: input.clientId };
  return {
    AzureWebJobsStorage__accountName: input.storageAccountName,
    AzureWebJobsStorage__credential: identity.credential,
    AzureWebJobsStorage__clientId: identity.clientId,
    ETL_EVENTHUB__fullyQualifiedNamespace: input.eventHubsFullyQualifiedNamespace,
    ETL_EVENTHUB__credential: identity.credential,
    ETL_EVENTHUB__clientId: identity.clientId,
    // Hub and group names are parameters: written even when equal to the app's defaults, so a
    // changed parameter reaches the app.
    ETL_RECORDS_HUB: input.eventHubs.recordsHub,
    ETL_AGGREGATES_HUB: input.eventHubs.aggregatesHub,
    ETL_TRANSFORM_CONSUMER_GROUP: input.eventHubs.transformConsumerGroup,
    ETL_AGGREGATE_CONSUMER_GROUP: input.eventHubs.aggregateConsumerGroup,
    ETL_SQL_DRIVER: 'mssql',
    ETL_SQL_AUTH: 'managed-identity',
    ETL_SQL_SERVER: input.sqlServerHostName,
    ETL_SQL_DATABASE: input.sqlDatabaseName,
    ETL_SQL_CLIENT_ID: identity.clientId,
    // The deploy command migrates (infra/deploy/database-access.ts); the app's database user has
    // no DDL rights, so it must not try at start.
    ETL_SQL_MIGRATE_ON_START: 'false',
    APPLICATIONINSIGHTS_CONNECTION_STRING: input.applicationInsightsConnectionString,
  };
}
