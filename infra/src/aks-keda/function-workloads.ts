/**
 * The function app on AKS: one Deployment per trigger group (the same image, restricted to one
 * function each), a ServiceAccount federated with the function identity, and a Service for the
 * HTTP status API. Plain objects validated by the kubernetes-models schemas.
 */
import { Deployment } from 'kubernetes-models/apps/v1';
import { Namespace, Service, ServiceAccount, type IEnvVar } from 'kubernetes-models/v1';
import { HOST_SETTINGS, MAX_FUNCTIONS_PER_WORKLOAD, functionListSetting } from '../settings/host-settings.js';
import type { AzureAppSettings } from '../settings/azure-app-settings.js';
import {
  FUNCTION_GROUPS,
  FUNCTION_GROUP_NAMES,
  PER_INSTANCE_FUNCTIONS,
  type FunctionGroup,
} from '../../../shared/config/function-groups.js';

/** One Deployment per function group of the app's catalogue (shared/config/function-groups.ts). */
export const FUNCTION_WORKLOADS = FUNCTION_GROUP_NAMES;
export type FunctionWorkload = FunctionGroup;
export const WORKLOAD_FUNCTIONS: Readonly<Record<FunctionWorkload, readonly string[]>> = FUNCTION_GROUPS;
export const PER_POD_FUNCTIONS = PER_INSTANCE_FUNCTIONS;

/** The image's unprivileged HTTP port (ASPNETCORE_URLS in the Dockerfile; docs/functions-host.md). */
export const CONTAINER_HTTP_PORT = 8080;
/** The image's numeric non-root user (the Dockerfile's USER): Kubernetes checks runAsNonRoot only against a number. */
export const CONTAINER_USER_ID = 10001;

/** Annotations that let managed Prometheus scrape each pod's `/api/metrics` (see dashboards/README.md). */
export const PROMETHEUS_SCRAPE_ANNOTATIONS = {
  'prometheus.io/scrape': 'true',
  'prometheus.io/port': String(CONTAINER_HTTP_PORT),
  'prometheus.io/path': '/api/metrics',
} as const;

export interface FunctionWorkloadsInput {
  readonly namespace: string;
  readonly image: string;
  readonly serviceAccountName: string;
  readonly functionsClientId: string;
  readonly hostId: string;
  readonly settings: AzureAppSettings;
  /** Pod size; the stack sizes pods like one Flex Consumption instance so both modes compare. */
  readonly resources: { readonly cpu: string; readonly memory: string };
}

export function namespaceManifest(name: string): Namespace {
  return new Namespace({ metadata: { name } });
}

export function serviceAccountManifest(input: FunctionWorkloadsInput): ServiceAccount {
  return new ServiceAccount({
    metadata: {
      name: input.serviceAccountName,
      namespace: input.namespace,
      // Workload identity: tokens for this account are exchanged for the function identity's.
      annotations: { 'azure.workload.identity/client-id': input.functionsClientId },
    },
  });
}

export function deploymentManifest(input: FunctionWorkloadsInput, workload: FunctionWorkload): Deployment {
  const labels = { app: 'scalable-etl', 'etl-function': workload };
  const env: IEnvVar[] = [
    ...Object.entries(input.settings).map(([name, value]) => ({ name, value })),
    { name: HOST_SETTINGS.hostId, value: input.hostId },
    ...[...WORKLOAD_FUNCTIONS[workload], ...PER_POD_FUNCTIONS]
      .slice(0, MAX_FUNCTIONS_PER_WORKLOAD)
      .map((name, index) => ({ name: functionListSetting(index), value: name })),
  ];
  const alwaysOn = workload === 'status';
  return new Deployment({
    metadata: { name: `etl-${workload}`, namespace: input.namespace, labels },
    spec: {
      // KEDA's HPA owns the replica count of the triggered workloads; status runs one replica.
      ...(alwaysOn ? { replicas: 1 } : {}),
      selector: { matchLabels: labels },
      template: {
        metadata: { labels: { ...labels, 'azure.workload.identity/use': 'true' }, annotations: { ...PROMETHEUS_SCRAPE_ANNOTATIONS } },
        spec: {
          serviceAccountName: input.serviceAccountName,
          // Let in-flight batches finish; the host checkpoints after each batch (docs/functions-host.md).
          terminationGracePeriodSeconds: 60,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: CONTAINER_USER_ID,
            runAsGroup: CONTAINER_USER_ID,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          containers: [
            {
              name: 'functions',
              image: input.image,
              env,
              // Every pod serves HTTP: /api/metrics and /api/health; only status is behind a Service.
              ports: [{ name: 'http', containerPort: CONTAINER_HTTP_PORT }],
              resources: {
                requests: { cpu: input.resources.cpu, memory: input.resources.memory },
                limits: { memory: input.resources.memory },
              },
              readinessProbe: { httpGet: { path: '/api/health', port: CONTAINER_HTTP_PORT }, periodSeconds: 10 },
              securityContext: { allowPrivilegeEscalation: false, privileged: false, capabilities: { drop: ['ALL'] } },
            },
          ],
        },
      },
    },
  });
}

export function statusServiceManifest(input: FunctionWorkloadsInput): Service {
  return new Service({
    metadata: { name: 'etl-status', namespace: input.namespace },
    spec: {
      type: 'ClusterIP',
      selector: { app: 'scalable-etl', 'etl-function': 'status' },
      ports: [{ name: 'http', port: 80, targetPort: 'http' }],
    },
  });
}
