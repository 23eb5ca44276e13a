/**
 * What the azurerm provider (4.55.0, the version the bindings pin) does beyond its schema, checked
 * on the synthesized stacks. infra/README.md ("Provider pitfalls") explains each one with the
 * provider function it comes from.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLEX_SETTINGS_KEPT_ELSEWHERE, flexAppSettings } from '../src/settings/flex-app-settings.js';
import { at, onlyResource, referencedResource, resourcesOf, synthesizeApp, type SynthesizedApp } from './synthesized-app.js';

describe('azurerm provider pitfalls', () => {
  let synthesized: SynthesizedApp;
  beforeAll(() => {
    synthesized = synthesizeApp();
  });
  afterAll(() => synthesized.dispose());

  it('serverless: writes no app setting that the provider moves elsewhere on read (else every plan shows a change)', () => {
    const app = onlyResource(synthesized.serverless, 'azurerm_function_app_flex_consumption');
    const names = Object.keys(app.app_settings as Record<string, string>);
    for (const moved of Object.keys(FLEX_SETTINGS_KEPT_ELSEWHERE)) expect(names, moved).not.toContain(moved);
    // The connection string goes where the provider keeps it, and still names this stack's resource.
    const connectionString = at(app, 'site_config', 'application_insights_connection_string');
    expect(referencedResource(synthesized.serverless, connectionString)).toMatchObject({
      type: 'azurerm_application_insights',
      attribute: 'connection_string',
    });
  });

  it('gives the host storage identity Storage Blob Data Owner (not Contributor) and queue access on the account', () => {
    for (const stack of [synthesized.serverless, synthesized.aksKeda]) {
      const identity = resourcesOf(stack, 'azurerm_user_assigned_identity').find(([, body]) => String(body.name).endsWith('-functions'));
      expect(identity, stack.name).toBeDefined();
      const onAccount = resourcesOf(stack, 'azurerm_role_assignment')
        .map(([, assignment]) => assignment)
        .filter((assignment) => referencedResource(stack, assignment.principal_id)?.body === identity![1])
        .filter((assignment) => referencedResource(stack, assignment.scope)?.type === 'azurerm_storage_account')
        .map((assignment) => assignment.role_definition_name);
      expect(onAccount.sort(), stack.name).toEqual(['Storage Blob Data Owner', 'Storage Queue Data Contributor']);
    }
  });

  it('aks-keda: registers Microsoft.Monitor and Microsoft.Dashboard, which the default registration set leaves out', () => {
    const provider = synthesized.aksKeda.json.provider?.azurerm?.[0];
    expect(provider?.resource_providers_to_register).toEqual(expect.arrayContaining(['Microsoft.Monitor', 'Microsoft.Dashboard']));
  });

  it('lets destroy delete the resource group although Application Insights adds resources of its own to it', () => {
    for (const stack of [synthesized.serverless, synthesized.aksKeda]) {
      const provider = stack.json.provider?.azurerm?.[0];
      expect(at(provider, 'features', 0, 'resource_group', 0, 'prevent_deletion_if_contains_resources'), stack.name).toBe(false);
    }
  });
});

describe('flexAppSettings', () => {
  it('refuses a setting the provider would move on read', () => {
    expect(() => flexAppSettings({ ETL_SQL_DRIVER: 'mssql', AzureWebJobsStorage: 'DefaultEndpointsProtocol=https;AccountName=x' })).toThrow(
      /AzureWebJobsStorage/,
    );
    expect(flexAppSettings({ ETL_SQL_DRIVER: 'mssql', APPLICATIONINSIGHTS_CONNECTION_STRING: 'InstrumentationKey=k' })).toEqual({
      appSettings: { ETL_SQL_DRIVER: 'mssql' },
      applicationInsightsConnectionString: 'InstrumentationKey=k',
    });
  });
});
