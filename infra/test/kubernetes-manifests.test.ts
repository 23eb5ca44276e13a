/**
 * The Kubernetes objects of the aks-keda stack against their schemas (kubernetes-models for core
 * objects, @kubernetes-models/keda for ScaledObject and TriggerAuthentication), and the
 * placeholders in them against the stack outputs that fill them.
 */
import { Deployment } from 'kubernetes-models/apps/v1';
import { ConfigMap, Namespace, Service, ServiceAccount } from 'kubernetes-models/v1';
import { ScaledObject, TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOY_TIME_VALUES } from '../src/aks-keda/deploy-time-values.js';
import { kubernetesManifests } from '../src/aks-keda/kubernetes-manifests.js';
import { resolveParameters } from '../src/parameters.js';
import { NON_DEFAULT_OVERRIDES, synthesizeApp, type SynthesizedApp } from './synthesized-app.js';

describe('Kubernetes manifests', () => {
  let synthesized: SynthesizedApp;
  beforeAll(() => {
    synthesized = synthesizeApp(NON_DEFAULT_OVERRIDES);
  });
  afterAll(() => synthesized.dispose());

  it('builds objects that pass their schema validation', () => {
    const manifests = manifestsWithConcreteValues();
    expect(manifests.map((m) => (m.object.toJSON() as { kind: string }).kind)).toEqual(
      expect.arrayContaining(['Namespace', 'ServiceAccount', 'Deployment', 'Service', 'TriggerAuthentication', 'ScaledObject']),
    );
    for (const manifest of manifests) expect(() => manifest.object.validate(), manifest.fileName).not.toThrow();
  });

  it('writes every object into the synthesized stack, and the written files still validate', () => {
    const files = synthesized.aksKeda.manifests;
    expect(Object.keys(files).length).toBe(13);
    for (const [fileName, object] of Object.entries(files)) {
      const Model = MODEL_BY_KIND[String(object.kind)];
      expect(Model, `${fileName}: kind ${String(object.kind)} has a schema`).toBeDefined();
      // Re-parsed from disk: what `kubectl apply` will read is what passes the schema.
      expect(() => new Model!(withoutTypeMeta(object)).validate(), fileName).not.toThrow();
    }
    for (const [fileName, object] of Object.entries(files)) {
      // The managed-Prometheus settings live where the ama-metrics add-on reads them.
      const expected = object.kind === 'ConfigMap' ? 'kube-system' : 'pipeline';
      if (object.kind !== 'Namespace') expect(object.metadata, fileName).toMatchObject({ namespace: expected });
    }
  });

  it('lets managed Prometheus scrape every function pod and the KEDA operator', () => {
    const files = synthesized.aksKeda.manifests;
    const deployments = Object.values(files).filter((object) => object.kind === 'Deployment') as {
      spec: { template: { metadata: { annotations?: Record<string, string> } } };
    }[];
    for (const deployment of deployments) {
      expect(deployment.spec.template.metadata.annotations).toMatchObject({
        'prometheus.io/scrape': 'true',
        'prometheus.io/path': '/api/metrics',
      });
    }
    const settings = Object.values(files).find(
      (object) => (object.metadata as { name?: string }).name === 'ama-metrics-settings-configmap',
    ) as { data: Record<string, string> };
    expect(settings.data['pod-annotation-based-scraping']).toContain('"pipeline"');
    expect(JSON.stringify(files)).toContain('job_name: keda-operator');
  });

  it('rejects objects that break the schema (the validation is real)', () => {
    const broken = new ScaledObject({ metadata: { name: 'x' }, spec: { triggers: [{ type: 'azure-eventhub', metadata: {} }] } } as never);
    expect(() => broken.validate()).toThrow();
    const brokenDeployment = new Deployment({ metadata: { name: 'x' }, spec: { replicas: 'three' } } as never);
    expect(() => brokenDeployment.validate()).toThrow();
  });

  it('uses only placeholders the stack outputs, under the same names', () => {
    const text = JSON.stringify(synthesized.aksKeda.manifests);
    const used = new Set([...text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1]));
    expect([...used].sort()).toEqual(Object.values(DEPLOY_TIME_VALUES).sort());
    const outputs = Object.keys(synthesized.aksKeda.json.output ?? {});
    for (const name of used) expect(outputs).toContain(name);
  });
});

const MODEL_BY_KIND: Record<string, new (data: never) => { validate(): void }> = {
  ConfigMap,
  Namespace,
  ServiceAccount,
  Service,
  Deployment,
  ScaledObject,
  TriggerAuthentication,
};

/** The builder called directly, with concrete ids instead of placeholders. */
function manifestsWithConcreteValues(): ReturnType<typeof kubernetesManifests> {
  const p = resolveParameters(NON_DEFAULT_OVERRIDES);
  return kubernetesManifests({
    namespace: p.aks.namespace,
    image: 'crexample.azurecr.io/scalable-etl:test',
    hostId: 'etl-test',
    functionsClientId: '11111111-1111-1111-1111-111111111111',
    scalerClientId: '22222222-2222-2222-2222-222222222222',
    settings: { ETL_RECORDS_HUB: p.eventHubs.recordsHub },
    podResources: { cpu: '1', memory: '2048Mi' },
    eventHubNamespace: 'evhns-example',
    eventHubs: p.eventHubs,
    storageAccountName: 'stexample',
    checkpointContainer: 'azure-webjobs-eventhub',
    landingEventsQueue: 'landing-events',
    keda: p.keda,
  });
}

function withoutTypeMeta(object: Record<string, unknown>): never {
  const { apiVersion: _apiVersion, kind: _kind, ...rest } = object;
  return rest as never;
}
