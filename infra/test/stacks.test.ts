/**
 * Both stacks synthesized with default and non-default parameters: the resources the acceptance
 * list names are there, with the properties that matter.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
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

const parameterSets = [
  ['default parameters', {}],
  ['non-default parameters', NON_DEFAULT_OVERRIDES],
] as const;

describe.each(parameterSets)('stacks with %s', (_label, overrides) => {
  let synthesized: SynthesizedApp;
  beforeAll(() => {
    synthesized = synthesizeApp(overrides);
  });
  afterAll(() => synthesized.dispose());

  const stacks = (): SynthesizedStack[] => [synthesized.serverless, synthesized.aksKeda];

  it('creates the hubs with the configured partition counts and consumer groups in both stacks', () => {
    const hubs = synthesized.parameters.eventHubs;
    for (const stack of stacks()) {
      const hubPartitions = Object.fromEntries(resourcesOf(stack, 'azurerm_eventhub').map(([, hub]) => [hub.name, hub.partition_count]));
      expect(hubPartitions).toEqual({ [hubs.recordsHub]: hubs.recordsPartitions, [hubs.aggregatesHub]: hubs.aggregatesPartitions });

      const groups = resourcesOf(stack, 'azurerm_eventhub_consumer_group').map(([, group]) => ({
        name: group.name,
        hub: referencedResource(stack, group.eventhub_name)?.body.name,
      }));
      expect(groups).toEqual(
        expect.arrayContaining([
          { name: hubs.transformConsumerGroup, hub: hubs.recordsHub },
          { name: hubs.aggregateConsumerGroup, hub: hubs.aggregatesHub },
        ]),
      );
      expect(groups).toHaveLength(2);

      const namespace = onlyResource(stack, 'azurerm_eventhub_namespace');
      expect(namespace.sku).toBe(hubs.sku);
      expect(namespace.capacity).toBe(hubs.capacity);
      expect(namespace.local_authentication_enabled).toBe(false);
    }
  });

  it('creates the storage containers, the landing-events queues and the Event Grid route to them', () => {
    for (const stack of stacks()) {
      const containers = resourcesOf(stack, 'azurerm_storage_container').map(([, c]) => c.name);
      expect(containers).toEqual(expect.arrayContaining(['landing', 'rejected', 'deadletters', 'azure-webjobs-eventhub']));
      const queues = resourcesOf(stack, 'azurerm_storage_queue').map(([, q]) => q.name);
      expect(queues.sort()).toEqual(['landing-events', 'landing-events-poison']);

      const topic = onlyResource(stack, 'azurerm_eventgrid_system_topic');
      expect(topic.topic_type).toBe('Microsoft.Storage.StorageAccounts');
      expect(referencedResource(stack, topic.source_resource_id)?.type).toBe('azurerm_storage_account');

      const subscription = onlyResource(stack, 'azurerm_eventgrid_system_topic_event_subscription');
      expect(subscription.included_event_types).toEqual(['Microsoft.Storage.BlobCreated']);
      expect(at(subscription, 'subject_filter', 'subject_begins_with')).toBe('/blobServices/default/containers/landing/');
      expect(subscription.event_delivery_schema).toBe('EventGridSchema');
      expect(referencedResource(stack, at(subscription, 'storage_queue_endpoint', 'queue_name'))?.body.name).toBe('landing-events');
      expect(at(subscription, 'delivery_identity', 'type')).toBe('SystemAssigned');
    }
  });

  it('creates an Entra-only SQL server with a database of the configured SKU', () => {
    const sql = synthesized.parameters.sql;
    for (const stack of stacks()) {
      const database = onlyResource(stack, 'azurerm_mssql_database');
      expect(database.sku_name).toBe(sql.skuName);
      expect(database.name).toBe(sql.databaseName);
      expect(database.auto_pause_delay_in_minutes).toBe(sql.autoPauseDelayMinutes);
      expect(database.min_capacity).toBe(sql.minCapacityVcores);
      const server = onlyResource(stack, 'azurerm_mssql_server');
      expect(at(server, 'azuread_administrator', 'azuread_authentication_only')).toBe(true);
      if (sql.entraAdmin) expect(at(server, 'azuread_administrator', 'object_id')).toBe(sql.entraAdmin.objectId);
    }
  });

  it('creates workspace-based Application Insights', () => {
    for (const stack of stacks()) {
      const insights = onlyResource(stack, 'azurerm_application_insights');
      expect(referencedResource(stack, insights.workspace_id)?.type).toBe('azurerm_log_analytics_workspace');
    }
  });

  it('serverless: runs the function app on Flex Consumption, Node 22, with the configured size and scale', () => {
    const stack = synthesized.serverless;
    const functions = synthesized.parameters.functions;
    const plan = onlyResource(stack, 'azurerm_service_plan');
    expect(plan.sku_name).toBe('FC1');
    expect(plan.os_type).toBe('Linux');
    const app = onlyResource(stack, 'azurerm_function_app_flex_consumption');
    expect(referencedResource(stack, app.service_plan_id)?.type).toBe('azurerm_service_plan');
    expect(app.runtime_name).toBe('node');
    expect(app.runtime_version).toBe('22');
    expect(app.instance_memory_in_mb).toBe(functions.instanceMemoryMb);
    expect(app.maximum_instance_count).toBe(functions.maximumInstanceCount);
    expect(app.storage_authentication_type).toBe('UserAssignedIdentity');
    expect(referencedResource(stack, app.storage_user_assigned_identity_id)?.type).toBe('azurerm_user_assigned_identity');
    expect(at(app, 'identity', 'type')).toBe('UserAssigned');
    // The endpoint names the container by a literal, which carries no dependency: the app is
    // created only once its deployment container exists.
    const endpoint = String(app.storage_container_endpoint);
    const [containerKey, container] = resourcesOf(stack, 'azurerm_storage_container').find(([, body]) =>
      endpoint.endsWith(`}${String(body.name)}`),
    )!;
    expect(container, endpoint).toBeDefined();
    expect(app.depends_on).toContain(`azurerm_storage_container.${containerKey}`);
  });

  it('aks-keda: runs AKS with workload identity, the KEDA add-on, managed Prometheus and Grafana, and a registry', () => {
    const stack = synthesized.aksKeda;
    const aks = synthesized.parameters.aks;
    const cluster = onlyResource(stack, 'azurerm_kubernetes_cluster');
    expect(cluster.oidc_issuer_enabled).toBe(true);
    expect(cluster.workload_identity_enabled).toBe(true);
    expect(at(cluster, 'workload_autoscaler_profile', 'keda_enabled')).toBe(true);
    expect(cluster.monitor_metrics).toBeDefined();
    expect(at(cluster, 'default_node_pool', 'vm_size')).toBe(aks.nodeVmSize);
    expect(at(cluster, 'default_node_pool', 'min_count')).toBe(aks.nodeMinCount);
    expect(at(cluster, 'default_node_pool', 'max_count')).toBe(aks.nodeMaxCount);

    const registry = onlyResource(stack, 'azurerm_container_registry');
    expect(registry.admin_enabled).toBe(false);
    const acrPull = resourcesOf(stack, 'azurerm_role_assignment').filter(([, r]) => r.role_definition_name === 'AcrPull');
    expect(acrPull).toHaveLength(1);
    expect(referencedResource(stack, acrPull[0]![1].scope)?.type).toBe('azurerm_container_registry');

    const workspace = onlyResource(stack, 'azurerm_monitor_workspace');
    expect(workspace).toBeDefined();
    const associations = resourcesOf(stack, 'azurerm_monitor_data_collection_rule_association').map(([, a]) => a);
    expect(associations.every((a) => referencedResource(stack, a.target_resource_id)?.type === 'azurerm_kubernetes_cluster')).toBe(true);
    expect(associations.map((a) => a.name)).toContain('configurationAccessEndpoint');
    const grafana = onlyResource(stack, 'azurerm_dashboard_grafana');
    expect(referencedResource(stack, at(grafana, 'azure_monitor_workspace_integrations', 0, 'resource_id'))?.type).toBe(
      'azurerm_monitor_workspace',
    );

    const federated = resourcesOf(stack, 'azurerm_federated_identity_credential').map(([, f]) => f.subject);
    expect(federated.sort()).toEqual(
      ['system:serviceaccount:kube-system:keda-operator', `system:serviceaccount:${aks.namespace}:etl-functions`].sort(),
    );
  });

  it('aks-keda: a Deployment per trigger group and one ScaledObject per consumer whose trigger matches its hub and group', () => {
    const stack = synthesized.aksKeda;
    const { eventHubs: hubs, keda, aks } = synthesized.parameters;
    const deployments = manifestsOfKind(stack, 'Deployment').map((d) => at(d, 'metadata', 'name'));
    expect(deployments.sort()).toEqual(['etl-aggregate', 'etl-extract', 'etl-status', 'etl-transform']);
    for (const deployment of manifestsOfKind(stack, 'Deployment')) {
      expect(at(deployment, 'spec', 'template', 'spec', 'containers', 0, 'image')).toMatch(
        new RegExp(`\\.azurecr\\.io/scalable-etl:${aks.imageTag}$`),
      );
    }

    const scaled = Object.fromEntries(manifestsOfKind(stack, 'ScaledObject').map((s) => [at(s, 'spec', 'scaleTargetRef', 'name'), s]));
    expect(Object.keys(scaled).sort()).toEqual(['etl-aggregate', 'etl-extract', 'etl-transform']);

    const expectEventHubTrigger = (deployment: string, hub: string, group: string, partitions: number): void => {
      const object = scaled[deployment];
      const trigger = at(object, 'spec', 'triggers', 0) as Record<string, unknown>;
      expect(trigger.type).toBe('azure-eventhub');
      expect(trigger.metadata).toMatchObject({
        eventHubName: hub,
        consumerGroup: group,
        checkpointStrategy: 'blobMetadata',
        blobContainer: 'azure-webjobs-eventhub',
        unprocessedEventThreshold: String(keda.unprocessedEventThreshold),
        activationUnprocessedEventThreshold: String(keda.activationUnprocessedEventThreshold),
      });
      expect(at(trigger, 'authenticationRef', 'name')).toBe(at(manifestsOfKind(stack, 'TriggerAuthentication')[0], 'metadata', 'name'));
      expect(at(object, 'spec', 'pollingInterval')).toBe(keda.pollingIntervalSeconds);
      expect(at(object, 'spec', 'cooldownPeriod')).toBe(keda.cooldownPeriodSeconds);
      expect(at(object, 'spec', 'minReplicaCount')).toBe(keda.minReplicas);
      expect(at(object, 'spec', 'maxReplicaCount')).toBe(Math.min(keda.maxReplicas ?? partitions, partitions));
      expect(at(object, 'spec', 'advanced', 'horizontalPodAutoscalerConfig', 'behavior', 'scaleDown', 'stabilizationWindowSeconds')).toBe(
        keda.scaleDownStabilizationSeconds,
      );
    };
    expectEventHubTrigger('etl-transform', hubs.recordsHub, hubs.transformConsumerGroup, hubs.recordsPartitions);
    expectEventHubTrigger('etl-aggregate', hubs.aggregatesHub, hubs.aggregateConsumerGroup, hubs.aggregatesPartitions);

    // The hub and group names in the triggers are the ones the stack creates.
    const namespace = onlyResource(stack, 'azurerm_eventhub_namespace');
    const storage = onlyResource(stack, 'azurerm_storage_account');
    for (const name of ['etl-transform', 'etl-aggregate']) {
      expect(at(scaled[name], 'spec', 'triggers', 0, 'metadata', 'eventHubNamespace')).toBe(namespace.name);
      expect(at(scaled[name], 'spec', 'triggers', 0, 'metadata', 'storageAccountName')).toBe(storage.name);
    }

    const extract = at(scaled['etl-extract'], 'spec', 'triggers', 0) as Record<string, unknown>;
    expect(extract.type).toBe('azure-queue');
    expect(extract.metadata).toMatchObject({
      queueName: 'landing-events',
      accountName: storage.name,
      queueLength: String(keda.queueLength),
    });
    expect(at(scaled['etl-extract'], 'spec', 'maxReplicaCount')).toBe(keda.extractMaxReplicas);

    const auth = manifestsOfKind(stack, 'TriggerAuthentication');
    expect(auth).toHaveLength(1);
    expect(at(auth[0], 'spec', 'podIdentity', 'provider')).toBe('azure-workload');
  });

  it('serverless: deploys the workbook of dashboards/ with its resource pickers set to this stack', () => {
    const stack = synthesized.serverless;
    const workbook = onlyResource(stack, 'azurerm_application_insights_workbook');
    expect(workbook.name).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(workbook.source_id).toMatch(/^\$\{lower\(azurerm_application_insights\.[^.]+\.id\)\}$/);
    const deployed = JSON.parse(String(workbook.data_json)) as {
      items: Array<{ name: string; content: { parameters?: Array<{ name: string; value?: unknown }> } }>;
    };
    const file = JSON.parse(
      readFileSync(join(import.meta.dirname, '..', '..', 'dashboards', 'azure-monitor-workbook.json'), 'utf8'),
    ) as typeof deployed;
    // The same items as the file, only the resource parameters preset.
    expect(deployed.items.map((item) => item.name)).toEqual(file.items.map((item) => item.name));
    const preset = Object.fromEntries(
      deployed.items.flatMap((item) => item.content.parameters ?? []).map((parameter) => [parameter.name, parameter.value]),
    );
    expect(referencedResource(stack, preset.AppInsights)?.type).toBe('azurerm_application_insights');
    expect(referencedResource(stack, preset.EventHubNamespace)?.type).toBe('azurerm_eventhub_namespace');
    expect(referencedResource(stack, preset.FunctionApp)?.type).toBe('azurerm_function_app_flex_consumption');
    expect(preset.Subscription).toMatch(/^\/subscriptions\/\$\{data\.azurerm_client_config\.[^.]+\.subscription_id\}$/);
    expect(Object.keys(stack.json.output ?? {})).toContain('workbook_url');
  });

  it('aks-keda: imports the Grafana dashboard of dashboards/ into the Managed Grafana it creates', () => {
    const stack = synthesized.aksKeda;
    const imports = resourcesOf(stack, 'terraform_data');
    expect(imports).toHaveLength(1);
    const [, body] = imports[0]!;
    const command = String(at(body, 'provisioner', 0, 'local-exec', 'command'));
    expect(command).toMatch(
      /az grafana dashboard import --resource-group \$\{azurerm_resource_group\.[^.]+\.name\} --name \$\{azurerm_dashboard_grafana\.[^.]+\.name\} --definition dashboards\/grafana-dashboard\.json --overwrite true/,
    );
    expect(at(body, 'triggers_replace', 'grafanaId')).toMatch(/^\$\{azurerm_dashboard_grafana\.[^.]+\.id\}$/);
    const file = readFileSync(join(import.meta.dirname, '..', '..', 'dashboards', 'grafana-dashboard.json'), 'utf8');
    expect(at(body, 'triggers_replace', 'dashboardSha256')).toBe(createHash('sha256').update(file).digest('hex'));
    // The import waits for the deployer's Grafana Admin role, and reads the file written beside the stack.
    const dependsOn = (body.depends_on as string[]).map(
      (reference) => referencedResource(stack, `\${${reference}.id}`)?.body.role_definition_name,
    );
    expect(dependsOn).toContain('Grafana Admin');
    expect(stack.files['dashboards/grafana-dashboard.json']).toBe(file);
    expect(String(stack.json.output?.grafana_dashboard_url?.value)).toMatch(
      /^\$\{azurerm_dashboard_grafana\.[^.]+\.endpoint\}\/d\/scalable-etl-pipeline$/,
    );
  });

  it('tags resources with the standard and the configured tags', () => {
    const extra = synthesized.parameters.tags;
    for (const stack of stacks()) {
      const group = onlyResource(stack, 'azurerm_resource_group');
      expect(group.tags).toMatchObject({ project: 'scalable-etl', environment: synthesized.parameters.environment, ...extra });
    }
  });
});

describe('stacks side by side', () => {
  it('give each stack its own resource group and globally unique names', () => {
    const synthesized = synthesizeApp();
    try {
      const names = (stack: SynthesizedStack, type: string): unknown => onlyResource(stack, type).name;
      for (const type of ['azurerm_resource_group', 'azurerm_storage_account', 'azurerm_eventhub_namespace', 'azurerm_mssql_server']) {
        expect(names(synthesized.serverless, type)).not.toBe(names(synthesized.aksKeda, type));
      }
    } finally {
      synthesized.dispose();
    }
  });
});
