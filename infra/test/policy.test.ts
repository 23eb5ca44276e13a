/**
 * Security and hygiene policies over the synthesized Terraform JSON and Kubernetes manifests of
 * both stacks, for default and non-default parameters.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_SETTINGS, type AppSettingName } from '../../shared/config/app-settings.js';
import { findSecretLeaks, isTaggableResourceType } from './policy-checks.js';
import {
  allResources,
  at,
  manifestsOfKind,
  NON_DEFAULT_OVERRIDES,
  onlyResource,
  referencedResource,
  resourcesOf,
  synthesizeApp,
  type SynthesizedApp,
  type SynthesizedStack,
} from './synthesized-app.js';

describe.each([
  ['default parameters', {}],
  ['non-default parameters', NON_DEFAULT_OVERRIDES],
] as const)('policies with %s', (_label, overrides) => {
  let synthesized: SynthesizedApp;
  beforeAll(() => {
    synthesized = synthesizeApp(overrides);
  });
  afterAll(() => synthesized.dispose());
  const stacks = (): SynthesizedStack[] => [synthesized.serverless, synthesized.aksKeda];

  it('puts no secret, key or connection string with a secret in any app setting, output or manifest', () => {
    for (const stack of stacks()) {
      expect(findSecretLeaks(stack.json), `${stack.name} Terraform JSON`).toEqual([]);
      expect(findSecretLeaks(stack.manifests), `${stack.name} manifests`).toEqual([]);
    }
    const appSettings = onlyResource(synthesized.serverless, 'azurerm_function_app_flex_consumption').app_settings as Record<
      string,
      string
    >;
    for (const name of Object.keys(appSettings)) {
      expect(APP_SETTINGS[name as AppSettingName]).not.toMatchObject({ secret: true });
    }
    const kinds = Object.values(synthesized.aksKeda.manifests).map((m) => m.kind);
    expect(kinds).not.toContain('Secret');
    expect(JSON.stringify(synthesized.aksKeda.manifests)).not.toMatch(/secretKeyRef|secretTargetRef|envFrom/);
  });

  it('turns key-based access off where clients can use Entra ID', () => {
    for (const stack of stacks()) {
      expect(onlyResource(stack, 'azurerm_storage_account').shared_access_key_enabled).toBe(false);
      expect(onlyResource(stack, 'azurerm_eventhub_namespace').local_authentication_enabled).toBe(false);
      for (const [, registry] of resourcesOf(stack, 'azurerm_container_registry')) expect(registry.admin_enabled).toBe(false);
      for (const [, grafana] of resourcesOf(stack, 'azurerm_dashboard_grafana')) expect(grafana.api_key_enabled).toBe(false);
    }
  });

  it('requires TLS 1.2 or later wherever a resource has a TLS setting', () => {
    const tlsSettings = ['min_tls_version', 'minimum_tls_version', 'scm_minimum_tls_version'];
    const mustSet = ['azurerm_storage_account', 'azurerm_eventhub_namespace', 'azurerm_mssql_server'];
    for (const stack of stacks()) {
      for (const type of mustSet) {
        const resource = onlyResource(stack, type);
        expect(
          tlsSettings.some((key) => key in resource),
          `${stack.name} ${type} sets its TLS version`,
        ).toBe(true);
      }
      for (const [type, name, body] of allResources(stack)) {
        for (const [key, value] of deepEntries(body)) {
          if (!tlsSettings.includes(key)) continue;
          const version = Number(String(value).replace(/^TLS/, '').replace('_', '.'));
          expect(version, `${stack.name} ${type}.${name} ${key}=${String(value)}`).toBeGreaterThanOrEqual(1.2);
        }
      }
      expect(onlyResource(stack, 'azurerm_storage_account').https_traffic_only_enabled).toBe(true);
    }
    expect(onlyResource(synthesized.serverless, 'azurerm_function_app_flex_consumption').https_only).toBe(true);
  });

  it('keeps blob access private', () => {
    for (const stack of stacks()) {
      expect(onlyResource(stack, 'azurerm_storage_account').allow_nested_items_to_be_public).toBe(false);
      const containers = resourcesOf(stack, 'azurerm_storage_container');
      expect(containers.length).toBeGreaterThan(0);
      for (const [name, container] of containers) expect(container.container_access_type, name).toBe('private');
    }
  });

  it('makes Azure SQL Entra-only: no SQL login or password', () => {
    for (const stack of stacks()) {
      const server = onlyResource(stack, 'azurerm_mssql_server');
      expect(at(server, 'azuread_administrator', 'azuread_authentication_only')).toBe(true);
      expect(server).not.toHaveProperty('administrator_login');
      expect(server).not.toHaveProperty('administrator_login_password');
      expect(server).not.toHaveProperty('administrator_login_password_wo');
    }
  });

  it('scopes every role assignment to exactly one resource, never a group or subscription', () => {
    const broadRoles = ['Owner', 'Contributor', 'User Access Administrator', 'Azure Event Hubs Data Owner'];
    for (const stack of stacks()) {
      const assignments = resourcesOf(stack, 'azurerm_role_assignment');
      expect(assignments.length).toBeGreaterThan(0);
      for (const [name, assignment] of assignments) {
        const target = referencedResource(stack, assignment.scope);
        expect(target, `${stack.name} ${name} scope ${String(assignment.scope)}`).toBeDefined();
        expect(target!.attribute).toBe('id');
        expect(target!.type).not.toBe('azurerm_resource_group');
        expect(broadRoles).not.toContain(assignment.role_definition_name);
      }
    }
  });

  it('tags every taggable resource with the standard tags', () => {
    for (const stack of stacks()) {
      let taggable = 0;
      for (const [type, name, body] of allResources(stack)) {
        if (!isTaggableResourceType(type)) continue;
        taggable += 1;
        expect(body.tags, `${stack.name} ${type}.${name}`).toMatchObject({
          project: 'scalable-etl',
          environment: synthesized.parameters.environment,
          'managed-by': 'cdktf',
          ...synthesized.parameters.tags,
        });
      }
      // Guards against a lookup that silently finds no taggable type.
      expect(taggable).toBeGreaterThanOrEqual(10);
    }
  });

  it('runs every pod as non-root, without capabilities or privilege escalation, on an unprivileged port', () => {
    for (const deployment of manifestsOfKind(synthesized.aksKeda, 'Deployment')) {
      const pod = at(deployment, 'spec', 'template', 'spec');
      expect(at(pod, 'securityContext', 'runAsNonRoot')).toBe(true);
      expect(at(pod, 'securityContext', 'runAsUser')).toBeGreaterThan(0);
      expect(at(pod, 'securityContext', 'seccompProfile', 'type')).toBe('RuntimeDefault');
      const container = at(pod, 'containers', 0);
      expect(at(container, 'securityContext', 'allowPrivilegeEscalation')).toBe(false);
      expect(at(container, 'securityContext', 'capabilities', 'drop')).toEqual(['ALL']);
      expect(at(container, 'securityContext', 'privileged') ?? false).toBe(false);
      const port = at(container, 'ports', 0, 'containerPort') as number;
      expect(port).toBeGreaterThanOrEqual(1024);
      expect(at(container, 'readinessProbe', 'httpGet', 'port')).toBe(port);
      expect(at(deployment, 'spec', 'template', 'metadata', 'annotations', 'prometheus.io/port')).toBe(String(port));
      expect(at(deployment, 'spec', 'template', 'metadata', 'labels', 'azure.workload.identity/use')).toBe('true');
    }
  });
});

describe('the secret scanner', () => {
  it('flags key material, secret-bearing references and secret setting names', () => {
    expect(findSecretLeaks({ a: 'DefaultEndpointsProtocol=https;AccountName=x;AccountKey=abc==' })).toHaveLength(1);
    expect(findSecretLeaks({ b: 'Endpoint=sb://x/;SharedAccessKeyName=r;SharedAccessKey=abc' })).toHaveLength(1);
    expect(findSecretLeaks({ c: '${azurerm_storage_account.st.primary_access_key}' })).toHaveLength(1);
    expect(findSecretLeaks({ d: '${azurerm_eventhub_namespace.ns.default_primary_connection_string}' })).toHaveLength(1);
    expect(findSecretLeaks({ env: [{ name: 'AzureWebJobsStorage', value: 'UseDevelopmentStorage=true' }] })).toHaveLength(1);
    expect(findSecretLeaks({ ok: '${azurerm_application_insights.ai.connection_string}', name: 'stetl' })).toEqual([]);
  });
});

function* deepEntries(value: unknown): Generator<[string, unknown]> {
  if (Array.isArray(value)) {
    for (const item of value) yield* deepEntries(item);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      yield [key, inner];
      yield* deepEntries(inner);
    }
  }
}
