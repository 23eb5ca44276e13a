/**
 * Test helper: synthesizes both stacks once per parameter set into a temporary directory (the same
 * path `npm run synth` takes, no Terraform binary) and reads back the Terraform JSON and manifests.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildEtlApp, STACK_NAMES } from '../src/etl-app.js';
import { resolveParameters, type EtlInfraParameterOverrides, type EtlInfraParameters } from '../src/parameters.js';

export type JsonObject = { [key: string]: unknown };

export interface TerraformJson {
  readonly resource: Record<string, Record<string, JsonObject>>;
  readonly data?: Record<string, Record<string, JsonObject>>;
  readonly output?: Record<string, JsonObject>;
  readonly provider?: Record<string, JsonObject[]>;
}

export interface SynthesizedStack {
  readonly name: string;
  readonly json: TerraformJson;
  /** Kubernetes manifests written beside the stack, by file name (aks-keda only). */
  readonly manifests: Readonly<Record<string, JsonObject>>;
  /** Every other file written beside the stack, by its path in the stack's folder. */
  readonly files: Readonly<Record<string, string>>;
}

export interface SynthesizedApp {
  readonly parameters: EtlInfraParameters;
  readonly serverless: SynthesizedStack;
  readonly aksKeda: SynthesizedStack;
  /** Removes the temporary output directory. */
  dispose(): void;
}

export function synthesizeApp(overrides: EtlInfraParameterOverrides = {}): SynthesizedApp {
  const parameters = resolveParameters(overrides);
  const outdir = mkdtempSync(join(tmpdir(), 'etl-infra-'));
  buildEtlApp(parameters, outdir).app.synth();
  return {
    parameters,
    serverless: readStack(outdir, STACK_NAMES.serverless),
    aksKeda: readStack(outdir, STACK_NAMES.aksKeda),
    dispose: () => rmSync(outdir, { recursive: true, force: true }),
  };
}

function readStack(outdir: string, name: string): SynthesizedStack {
  const directory = join(outdir, 'stacks', name);
  const json = JSON.parse(readFileSync(join(directory, 'cdk.tf.json'), 'utf8')) as TerraformJson;
  const manifests: Record<string, JsonObject> = {};
  const k8s = join(directory, 'k8s');
  for (const file of safeReaddir(k8s)) manifests[file] = JSON.parse(readFileSync(join(k8s, file), 'utf8')) as JsonObject;
  const files: Record<string, string> = {};
  for (const file of safeReaddir(join(directory, 'dashboards')))
    files[`dashboards/${file}`] = readFileSync(join(directory, 'dashboards', file), 'utf8');
  return { name, json, manifests, files };
}

function safeReaddir(directory: string): string[] {
  try {
    return readdirSync(directory).sort();
  } catch {
    return [];
  }
}

/** All resources of one Terraform type, as [logical name, body]. */
export function resourcesOf(stack: SynthesizedStack, type: string): Array<[string, JsonObject]> {
  return Object.entries(stack.json.resource[type] ?? {});
}

/** The one resource of a type; fails the test if there are none or several. */
export function onlyResource(stack: SynthesizedStack, type: string): JsonObject {
  const all = resourcesOf(stack, type);
  if (all.length !== 1) throw new Error(`${stack.name}: expected one ${type}, found ${all.length}`);
  return all[0]![1];
}

/** Every resource of the stack as [type, logical name, body]. */
export function allResources(stack: SynthesizedStack): Array<[string, string, JsonObject]> {
  return Object.entries(stack.json.resource).flatMap(([type, byName]) =>
    Object.entries(byName).map(([name, body]): [string, string, JsonObject] => [type, name, body]),
  );
}

/** `${azurerm_x.name.attr}` → the resource body it refers to, or undefined. */
export function referencedResource(
  stack: SynthesizedStack,
  reference: unknown,
): { type: string; body: JsonObject; attribute: string } | undefined {
  const match = typeof reference === 'string' ? /^\$\{([a-z0-9_]+)\.([^.}]+)\.([a-z0-9_]+)\}$/.exec(reference) : null;
  if (!match) return undefined;
  const [, type, name, attribute] = match as unknown as [string, string, string, string];
  const body = stack.json.resource[type]?.[name];
  return body === undefined ? undefined : { type, body, attribute };
}

/** Kubernetes objects of a kind from the aks-keda manifests. */
export function manifestsOfKind(stack: SynthesizedStack, kind: string): JsonObject[] {
  return Object.values(stack.manifests).filter((object) => object.kind === kind);
}

/** A typed path lookup into parsed JSON, for readable assertions. */
export function at(value: unknown, ...path: Array<string | number>): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

/** A non-default parameter set: every knob the acceptance list names is changed. */
export const NON_DEFAULT_OVERRIDES: EtlInfraParameterOverrides = {
  prefix: 'perf',
  environment: 'test',
  location: 'northeurope',
  uniqueSuffix: 'z9',
  tags: { owner: 'research', costcenter: 'cc-42' },
  eventHubs: {
    recordsHub: 'rows',
    aggregatesHub: 'partials',
    recordsPartitions: 32,
    aggregatesPartitions: 2,
    transformConsumerGroup: 'cleaner',
    aggregateConsumerGroup: 'merger',
    capacity: 4,
  },
  sql: {
    skuName: 'GP_S_Gen5_2',
    autoPauseDelayMinutes: 120,
    entraAdmin: { login: 'etl-admins', objectId: '00000000-0000-0000-0000-00000000a11e' },
  },
  functions: { instanceMemoryMb: 4096, maximumInstanceCount: 250 },
  aks: { nodeVmSize: 'Standard_D8ds_v5', nodeMinCount: 2, nodeMaxCount: 6, namespace: 'pipeline', imageTag: '1.2.3' },
  keda: {
    unprocessedEventThreshold: 50,
    activationUnprocessedEventThreshold: 5,
    pollingIntervalSeconds: 10,
    cooldownPeriodSeconds: 120,
    minReplicas: 1,
    maxReplicas: 16,
    extractMaxReplicas: 7,
    queueLength: 2,
    scaleDownStabilizationSeconds: 60,
  },
};
