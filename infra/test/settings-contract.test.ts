/**
 * Settings contract: the app settings infra writes (Flex app settings, AKS Deployment env) are
 * names the app reads (`shared/config/app-settings.ts`, imported, not copied), cover every setting
 * the Azure scope needs, and carry values that match the resources the stack creates.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_SETTING_NAMES, APP_SETTINGS, type AppSettingName } from '../../shared/config/app-settings.js';
import { HOST_SETTING_NAMES } from '../src/settings/host-settings.js';
import {
  at,
  manifestsOfKind,
  NON_DEFAULT_OVERRIDES,
  onlyResource,
  referencedResource,
  synthesizeApp,
  type SynthesizedApp,
} from './synthesized-app.js';

/** Names infra writes that the app does not read, and Azure-scope names infra leaves out. */
function contractViolations(written: readonly string[], allowedExtra: readonly string[] = []): string[] {
  const known = new Set<string>([...APP_SETTING_NAMES, ...allowedExtra]);
  const problems = written.filter((name) => !known.has(name)).map((name) => `writes ${name}, which the app does not read`);
  for (const name of written) {
    const spec = APP_SETTINGS[name as AppSettingName] as { scope: string; secret?: boolean } | undefined;
    if (spec?.scope === 'local') problems.push(`writes local-only setting ${name}`);
    if (spec?.secret) problems.push(`writes secret setting ${name}`);
  }
  const azureScope = APP_SETTING_NAMES.filter((name) => APP_SETTINGS[name].scope === 'azure');
  problems.push(...azureScope.filter((name) => !written.includes(name)).map((name) => `misses ${name}, which Azure needs`));
  return problems;
}

describe('the contract check', () => {
  it('fails on a name the app does not read, a missing Azure setting, and a local-only one', () => {
    const complete = APP_SETTING_NAMES.filter((name) => APP_SETTINGS[name].scope === 'azure');
    expect(contractViolations(complete)).toEqual([]);
    expect(contractViolations([...complete, 'ETL_RECORD_HUB'])).toEqual(['writes ETL_RECORD_HUB, which the app does not read']);
    expect(contractViolations(complete.filter((name) => name !== 'ETL_SQL_SERVER'))).toEqual(['misses ETL_SQL_SERVER, which Azure needs']);
    expect(contractViolations([...complete, 'AzureWebJobsStorage'])).toEqual([
      'writes local-only setting AzureWebJobsStorage',
      'writes secret setting AzureWebJobsStorage',
    ]);
  });
});

describe.each([
  ['default parameters', {}],
  ['non-default parameters', NON_DEFAULT_OVERRIDES],
] as const)('settings contract with %s', (_label, overrides) => {
  let synthesized: SynthesizedApp;
  beforeAll(() => {
    synthesized = synthesizeApp(overrides);
  });
  afterAll(() => synthesized.dispose());

  /** The Flex app's settings as the app sees them: `app_settings`, plus the one the provider keeps in `site_config`. */
  const flexSettings = (): Record<string, string> => {
    const app = onlyResource(synthesized.serverless, 'azurerm_function_app_flex_consumption');
    const connectionString = at(app, 'site_config', 'application_insights_connection_string');
    return {
      ...(app.app_settings as Record<string, string>),
      ...(typeof connectionString === 'string' ? { APPLICATIONINSIGHTS_CONNECTION_STRING: connectionString } : {}),
    };
  };
  const deploymentEnv = (): Array<{ deployment: string; env: Record<string, string> }> =>
    manifestsOfKind(synthesized.aksKeda, 'Deployment').map((deployment) => ({
      deployment: String(at(deployment, 'metadata', 'name')),
      env: Object.fromEntries(
        (at(deployment, 'spec', 'template', 'spec', 'containers', 0, 'env') as Array<{ name: string; value: string }>).map((e) => [
          e.name,
          e.value,
        ]),
      ),
    }));

  it('serverless: the Function App settings are exactly app settings, complete for Azure', () => {
    expect(contractViolations(Object.keys(flexSettings()))).toEqual([]);
  });

  it('aks-keda: every Deployment env is app settings plus the host settings, complete for Azure', () => {
    for (const { deployment, env } of deploymentEnv()) {
      expect(contractViolations(Object.keys(env), HOST_SETTING_NAMES), deployment).toEqual([]);
    }
  });

  it('both stacks write the same app settings', () => {
    const appNames = (names: string[]): string[] => names.filter((name) => !HOST_SETTING_NAMES.includes(name)).sort();
    for (const { env } of deploymentEnv()) expect(appNames(Object.keys(env))).toEqual(appNames(Object.keys(flexSettings())));
  });

  it('values point at the resources the stack creates', () => {
    const stack = synthesized.serverless;
    const settings = flexSettings();
    const hubs = synthesized.parameters.eventHubs;
    expect(settings.ETL_RECORDS_HUB).toBe(hubs.recordsHub);
    expect(settings.ETL_AGGREGATES_HUB).toBe(hubs.aggregatesHub);
    expect(settings.ETL_TRANSFORM_CONSUMER_GROUP).toBe(hubs.transformConsumerGroup);
    expect(settings.ETL_AGGREGATE_CONSUMER_GROUP).toBe(hubs.aggregateConsumerGroup);
    expect(settings.ETL_SQL_DRIVER).toBe('mssql');
    // The deploy command migrates; the app's database user has no DDL rights.
    expect(settings.ETL_SQL_MIGRATE_ON_START).toBe('false');
    expect(settings.AzureWebJobsStorage__credential).toBe('managedidentity');
    expect(referencedResource(stack, settings.AzureWebJobsStorage__accountName)?.type).toBe('azurerm_storage_account');
    expect(settings.ETL_EVENTHUB__fullyQualifiedNamespace).toBe(
      `${String(onlyResource(stack, 'azurerm_eventhub_namespace').name)}.servicebus.windows.net`,
    );
    expect(settings.ETL_SQL_SERVER).toBe(`${String(onlyResource(stack, 'azurerm_mssql_server').name)}.database.windows.net`);
    const identity = onlyResource(stack, 'azurerm_user_assigned_identity');
    for (const name of ['AzureWebJobsStorage__clientId', 'ETL_EVENTHUB__clientId', 'ETL_SQL_CLIENT_ID'] as const) {
      expect(referencedResource(stack, settings[name])).toMatchObject({
        type: 'azurerm_user_assigned_identity',
        body: identity,
        attribute: 'client_id',
      });
    }
    // Containers are not written: the app's defaults name the containers the stack creates.
    const containers = Object.values(stack.json.resource.azurerm_storage_container ?? {}).map((c) => c.name);
    for (const name of ['ETL_LANDING_CONTAINER', 'ETL_REJECTED_CONTAINER', 'ETL_DEADLETTER_CONTAINER'] as const) {
      expect(containers).toContain(APP_SETTINGS[name].default);
    }

    const aks = synthesized.aksKeda;
    for (const { env } of deploymentEnv()) {
      expect(env.AzureWebJobsStorage__credential).toBe('workloadidentity');
      expect(env.AzureWebJobsStorage__accountName).toBe(onlyResource(aks, 'azurerm_storage_account').name);
      expect(env.ETL_RECORDS_HUB).toBe(hubs.recordsHub);
      expect(env.ETL_TRANSFORM_CONSUMER_GROUP).toBe(hubs.transformConsumerGroup);
    }
  });
});
