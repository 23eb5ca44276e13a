/**
 * `npm run deploy -- --stack serverless|aks-keda` and `npm run destroy`: every step from a clean
 * clone to the first file loaded and shown on the dashboards, in order, each one idempotent so a
 * failed run can be resumed from the step that failed (`--from <step>`). External programs run
 * through a CommandRunner only; `--dry-run` swaps in one that prints the commands instead.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { buildEtlApp } from '../src/etl-app.js';
import type { EtlInfraParameters } from '../src/parameters.js';
import { DEPLOY_TIME_VALUES } from '../src/aks-keda/deploy-time-values.js';
import { IMAGE_REPOSITORY } from '../src/aks-keda/aks-keda-stack.js';
import { MANIFEST_DIRECTORY } from '../src/aks-keda/kubernetes-manifest-files.js';
import { dashboardImportCommand } from '../src/aks-keda/grafana-dashboard-import.js';
import { resourceNames } from '../src/resource-names.js';
import { plannedOutputs, STACK_OUTPUTS } from '../src/stack-outputs.js';
import { CommandFailedError, runChecked, type Command, type CommandRunner } from './command-runner.js';
import {
  firewallRuleCommand,
  grantDatabaseAccess,
  openWithAzureCli,
  publicAddressFromLookup,
  USER_GRANTS_TSQL,
  type DatabaseTarget,
  type OpenDatabase,
} from './database-access.js';
import { compileApp, packageFunctionApp, PACKAGE_FILE_NAME } from './function-app-package.js';
import { checkPrerequisites, safeJson, type DeployStack } from './prerequisites.js';
import { runSmokeTest, SMOKE_TEST_ROWS, waitForHealth, type RunLoadTest, type SmokeTestTarget } from './smoke-test.js';

export type { DeployStack } from './prerequisites.js';

/**
 * The database step comes right after apply: the app's schema and its identity's user exist before
 * any code runs. On AKS the pods' readiness probe (`/api/health`) reads the database, so the
 * kubernetes step's rollout wait could never end before them.
 */
export const DEPLOY_STEPS = {
  serverless: ['prerequisites', 'package', 'synth', 'apply', 'database', 'publish', 'smoke-test'],
  'aks-keda': ['prerequisites', 'build', 'synth', 'apply', 'database', 'image', 'kubernetes', 'smoke-test'],
} as const satisfies Record<DeployStack, readonly string[]>;
export const DESTROY_STEPS = ['prerequisites', 'synth', 'destroy'] as const;
/** Steps that run even when resuming later: they create nothing, and later steps need what they find. */
const ALWAYS_RUN = new Set<string>(['prerequisites', 'synth']);

const STEP_TITLES: Readonly<Record<string, string>> = {
  prerequisites: 'check the Azure CLI, Terraform or OpenTofu, and the tools the stack needs',
  package: 'compile the app and write the zip of the function app',
  build: 'compile the app (the image is built in the registry)',
  synth: 'synthesize the stack to Terraform JSON',
  apply: 'create or update the Azure resources',
  publish: 'deploy the zip to the function app',
  image: 'build the container image in the registry',
  kubernetes: 'apply the Kubernetes objects and wait for the status service',
  database: "run the app's migrations and create the function identity's database user",
  'smoke-test': `upload a generated ${SMOKE_TEST_ROWS.toLocaleString('en-US')}-row file and wait until every row is accounted for`,
  destroy: 'delete every resource of the stack',
};

/** Output patterns of an apply that failed only because a role assignment made in the same apply had not arrived yet. */
const ROLE_PROPAGATION = /AuthorizationFailed|does not have authorization|AuthorizationPermissionMismatch|PrincipalNotFound|403 Forbidden/i;

export interface DeployOptions {
  readonly action: 'deploy' | 'destroy';
  readonly stack: DeployStack;
  readonly parameters: EtlInfraParameters;
  readonly repositoryRoot: string;
  /** Build output, the zip, the synthesized stacks, the kubeconfig, smoke-test reports. */
  readonly workDir: string;
  readonly runner: CommandRunner;
  readonly dryRun: boolean;
  /** Resume from this step (the ones before are skipped, except prerequisites and synth). */
  readonly from?: string;
  /** `terraform` or `tofu`; absent: whichever is installed. */
  readonly terraform?: string;
  readonly smokeTestTimeoutSeconds?: number;
  readonly log: (line: string) => void;
  /** Seams for tests: the database connection, the deployer's address, the load test, the health wait, sleeping. */
  readonly openDatabase?: OpenDatabase;
  readonly publicAddress?: () => Promise<string>;
  readonly runLoadTest?: RunLoadTest;
  readonly waitForHealth?: (statusUrl: string) => Promise<void>;
  readonly readHostKey?: (blobEndpoint: string, hostId: string) => Promise<string>;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => Date;
  /** The environment Terraform inherits (default: this process's), checked in the prerequisites. */
  readonly env?: NodeJS.ProcessEnv;
}

export interface DeployResult {
  readonly ok: boolean;
  readonly failedStep?: string;
  /** The stack's outputs, when they were read. */
  readonly outputs?: Readonly<Record<string, string>>;
}

class DeployRun {
  private terraformProgram?: string;
  /** The Azure CLI's subscription: Terraform is pointed at it, so every step works in one subscription. */
  private subscriptionId?: string;
  private outputValues?: Record<string, string>;
  readonly stackDir: string;

  constructor(readonly options: DeployOptions) {
    this.stackDir = join(options.workDir, 'cdktf.out', 'stacks', options.stack);
  }

  get log() {
    return this.options.log;
  }

  get terraform(): string {
    return this.terraformProgram ?? this.options.terraform ?? 'terraform';
  }

  run(command: Command) {
    return runChecked(this.options.runner, command);
  }

  tf(...args: string[]): Command {
    const env = this.subscriptionId === undefined ? undefined : { ARM_SUBSCRIPTION_ID: this.subscriptionId };
    return { program: this.terraform, args: [`-chdir=${this.stackDir}`, ...args], env };
  }

  async prerequisites(): Promise<void> {
    if (this.options.dryRun) this.log('  (dry run: the checks are listed, not run)');
    const found = await checkPrerequisites(
      this.options.runner,
      this.options.action === 'destroy' ? 'destroy' : this.options.stack,
      this.options.terraform,
      this.options.env,
    );
    this.terraformProgram = found.terraform;
    this.subscriptionId = found.subscription.id;
    if (!this.options.dryRun)
      this.log(
        `  subscription ${found.subscription.name} (${found.subscription.id}) as ${found.subscription.user}; ${found.terraform} runs with ARM_SUBSCRIPTION_ID set to it`,
      );
  }

  synth(): void {
    const outdir = join(this.options.workDir, 'cdktf.out');
    buildEtlApp(this.options.parameters, outdir, { stacks: [this.options.stack] }).app.synth();
    this.log(`  ${join(this.stackDir, 'cdk.tf.json')}`);
  }

  /** `terraform output -json`, once; in a dry run, the values the parameters fix. */
  async outputs(): Promise<Record<string, string>> {
    if (this.outputValues) return this.outputValues;
    const result = await this.run({ ...this.tf('output', '-json'), secretOutput: true });
    const parsed = safeJson<Record<string, { value: unknown }>>(result.stdout);
    if (!parsed)
      throw new Error(
        `${this.terraform} output -json did not print JSON: has the stack been applied? (npm run deploy -- --stack ${this.options.stack})`,
      );
    this.outputValues = Object.fromEntries(Object.entries(parsed).map(([name, { value }]) => [name, String(value)]));
    return this.outputValues;
  }

  async output(name: string): Promise<string> {
    const value = (await this.outputs())[name];
    if (value === undefined || value === '') throw new Error(`the stack has no output ${name}: apply it first`);
    return value;
  }

  async apply(): Promise<void> {
    await this.run(this.tf('init', '-input=false', '-no-color'));
    const apply = { ...this.tf('apply', '-input=false', '-auto-approve', '-no-color'), stream: true };
    if (this.options.dryRun && this.options.stack === 'aks-keda') {
      const names = resourceNames(this.options.parameters, 'aks');
      this.log(
        `  (during the apply, in the stack's folder, Terraform runs: ${dashboardImportCommand(names.resourceGroup, names.grafana)})`,
      );
    }
    const first = await this.options.runner.run(apply);
    if (first.exitCode !== 0) {
      if (!ROLE_PROPAGATION.test(`${first.stdout}\n${first.stderr}`)) throw new CommandFailedError(apply, first);
      this.log('  a role assignment made in this apply has not reached Azure yet (it takes a few minutes): applying again in 60 s');
      await (this.options.sleep ?? delay)(60_000);
      await this.run(apply);
    }
    this.outputValues = undefined;
    if (this.options.stack === 'serverless') await this.removeKeylessStorageSetting();
  }

  /**
   * azurerm writes `AzureWebJobsStorage=…AccountKey=;…` into the Flex app on every create and update
   * (infra/README.md, "Provider pitfalls"); the host would use it instead of the identity-based
   * `AzureWebJobsStorage__accountName`. Removed after every apply this command makes.
   */
  async removeKeylessStorageSetting(): Promise<void> {
    const group = await this.output(STACK_OUTPUTS.resourceGroup);
    const app = await this.output(STACK_OUTPUTS.functionAppName);
    this.log('  removing the key-less AzureWebJobsStorage setting azurerm writes on every apply');
    await this.run({
      program: 'az',
      args: [
        'functionapp',
        'config',
        'appsettings',
        'delete',
        '--resource-group',
        group,
        '--name',
        app,
        '--setting-names',
        'AzureWebJobsStorage',
        '--output',
        'none',
      ],
    });
  }

  async packageApp(): Promise<void> {
    const built = await packageFunctionApp({
      repositoryRoot: this.options.repositoryRoot,
      workDir: this.options.workDir,
      log: (line) => this.log(`  ${line}`),
    });
    this.zipPath = built.zipPath;
  }

  zipPath?: string;

  async build(): Promise<void> {
    const { compiled } = await compileApp(this.options.repositoryRoot, join(this.options.workDir, 'build'));
    this.log(compiled ? '  the app compiles' : '  the app compiles (unchanged since it last compiled here)');
  }

  async publish(): Promise<void> {
    const zip = this.zipPath ?? join(this.options.workDir, PACKAGE_FILE_NAME);
    if (!this.options.dryRun && !existsSync(zip)) throw new Error(`no package at ${zip}: resume from the package step`);
    const group = await this.output(STACK_OUTPUTS.resourceGroup);
    const app = await this.output(STACK_OUTPUTS.functionAppName);
    await this.run({
      program: 'az',
      args: [
        'functionapp',
        'deployment',
        'source',
        'config-zip',
        '--resource-group',
        group,
        '--name',
        app,
        '--src',
        zip,
        '--output',
        'none',
      ],
      stream: true,
    });
  }

  async image(): Promise<void> {
    const registry = await this.output(STACK_OUTPUTS.registryName);
    const image = `${IMAGE_REPOSITORY}:${this.options.parameters.aks.imageTag}`;
    await this.run({
      program: 'az',
      args: [
        'acr',
        'build',
        '--registry',
        registry,
        '--image',
        image,
        '--platform',
        'linux/amd64',
        '--file',
        join(this.options.repositoryRoot, 'Dockerfile'),
        this.options.repositoryRoot,
      ],
      stream: true,
    });
  }

  get kubeconfig(): string {
    return join(this.options.workDir, `kubeconfig-${this.options.stack}`);
  }

  kubectl(...args: string[]): Command {
    return { program: 'kubectl', args: ['--kubeconfig', this.kubeconfig, ...args] };
  }

  async kubernetes(): Promise<void> {
    const outputs = await this.outputs();
    const namespace = await this.output(STACK_OUTPUTS.namespace);
    await this.run({
      program: 'az',
      args: [
        'aks',
        'get-credentials',
        '--resource-group',
        await this.output(STACK_OUTPUTS.resourceGroup),
        '--name',
        await this.output(STACK_OUTPUTS.clusterName),
        '--file',
        this.kubeconfig,
        '--overwrite-existing',
        '--output',
        'none',
      ],
    });
    // The managed KEDA operator reads its workload identity's env at start: restart it once its federation exists.
    await this.run(this.kubectl('rollout', 'restart', 'deployment', 'keda-operator', '--namespace', 'kube-system'));
    const filled = fillManifests(join(this.stackDir, MANIFEST_DIRECTORY), join(this.options.workDir, `k8s-${this.options.stack}`), outputs);
    await this.run(this.kubectl('apply', '--filename', filled));
    // Same image tag, new image: the Deployments restart so every pod runs the one just built.
    await this.run(this.kubectl('rollout', 'restart', 'deployment', '--namespace', namespace, '--selector', 'app=scalable-etl'));
    await this.run(this.kubectl('rollout', 'status', 'deployment/etl-status', '--namespace', namespace, '--timeout', '600s'));
  }

  async database(): Promise<void> {
    const target: DatabaseTarget = {
      resourceGroup: await this.output(STACK_OUTPUTS.resourceGroup),
      serverName: await this.output(STACK_OUTPUTS.sqlServerName),
      serverHostName: await this.output(STACK_OUTPUTS.sqlServerHostName),
      databaseName: await this.output(STACK_OUTPUTS.sqlDatabase),
      identityName: await this.output(STACK_OUTPUTS.functionsIdentityName),
      identityClientId: await this.output(STACK_OUTPUTS.functionsIdentityClientId),
    };
    if (this.options.dryRun) {
      const rule = '<etl-deploy-yyyymmddhhmmss>';
      this.log("  (the firewall rule only if the server refuses this machine's address; its refusal names the address)");
      await this.options.runner.run(firewallRuleCommand('create', target, rule));
      this.log(`  (signed in with the Azure CLI's token) the app's migrations on ${target.serverHostName}/${target.databaseName}, then:`);
      for (const line of USER_GRANTS_TSQL.text.split('\n')) this.log(`      ${line}`);
      this.log(`      -- with @userName = N'${target.identityName}', @clientId = N'${target.identityClientId}'`);
      await this.options.runner.run(firewallRuleCommand('delete', target, rule));
      return;
    }
    await grantDatabaseAccess(target, {
      runner: this.options.runner,
      open: this.options.openDatabase ?? openWithAzureCli,
      publicAddress: this.options.publicAddress ?? publicAddressFromLookup,
      log: this.log,
      now: this.options.now,
      sleep: this.options.sleep,
    });
  }

  async smokeTest(): Promise<void> {
    const blobEndpoint = `https://${await this.output(STACK_OUTPUTS.storageAccount)}.blob.core.windows.net`;
    const timeoutSeconds = this.options.smokeTestTimeoutSeconds ?? 15 * 60;
    if (this.options.stack === 'serverless') {
      const group = await this.output(STACK_OUTPUTS.resourceGroup);
      const app = await this.output(STACK_OUTPUTS.functionAppName);
      const statusUrl = `https://${await this.output(STACK_OUTPUTS.functionAppHostName)}/api`;
      // Listing keys goes through the running host, which a new app has yet to start: health first (anonymous).
      await this.waitUntilHealthy(statusUrl);
      const key = await this.run({
        program: 'az',
        args: [
          'functionapp',
          'keys',
          'list',
          '--resource-group',
          group,
          '--name',
          app,
          '--query',
          'functionKeys.default',
          '--output',
          'tsv',
        ],
        secretOutput: true,
      });
      const functionKey = key.stdout.trim();
      if (functionKey === '' && !this.options.dryRun)
        throw new Error(
          `the function app has no default function key (az functionapp keys list -g ${group} -n ${app}); the status API cannot be called without one`,
        );
      await this.smokeAgainst({ blobEndpoint, statusUrl, functionKey: functionKey || undefined }, timeoutSeconds);
      return;
    }
    // The status service is cluster-internal: forwarded to a free local port for the test.
    const port = this.options.dryRun ? 8080 : await freePort();
    const namespace = await this.output(STACK_OUTPUTS.namespace);
    const forward = this.options.runner.start(this.kubectl('port-forward', '--namespace', namespace, 'svc/etl-status', `${port}:80`));
    try {
      await forward.waitForOutput(/Forwarding from/, 60_000);
      const statusUrl = `http://127.0.0.1:${port}/api`;
      // The host writes its keys when it first starts.
      await this.waitUntilHealthy(statusUrl);
      const hostId = await this.output(STACK_OUTPUTS.hostId);
      const functionKey = this.options.dryRun
        ? undefined
        : await (this.options.readHostKey ?? readHostKeyFromStorage)(blobEndpoint, hostId);
      if (this.options.dryRun)
        this.log(
          `  (reads the host's function key from ${blobEndpoint}/azure-webjobs-secrets/${hostId}/host.json with the Azure CLI's identity)`,
        );
      await this.smokeAgainst({ blobEndpoint, statusUrl, functionKey }, timeoutSeconds);
    } finally {
      await forward.stop();
    }
  }

  /** Until `/api/health` answers 200: a new app starts cold, a paused database wakes up. */
  private async waitUntilHealthy(statusUrl: string): Promise<void> {
    if (this.options.dryRun) {
      this.log(`  would wait until ${statusUrl}/health answers (at most 10 min: a new app starts cold, a paused database wakes up)`);
      return;
    }
    await (this.options.waitForHealth ?? ((url: string) => waitForHealth(url, 10 * 60_000, this.log)))(statusUrl);
  }

  private async smokeAgainst(target: SmokeTestTarget, timeoutSeconds: number): Promise<void> {
    if (this.options.dryRun) {
      this.log(
        `  would upload a generated ${SMOKE_TEST_ROWS.toLocaleString('en-US')}-row file to ${target.blobEndpoint}/landing/iot_events/ and follow it on ${target.statusUrl}/files until complete (at most ${timeoutSeconds / 60} min)`,
      );
      return;
    }
    await runSmokeTest(target, { workDir: this.options.workDir, timeoutSeconds, log: this.log, runLoadTest: this.options.runLoadTest });
  }

  async destroy(): Promise<void> {
    await this.run(this.tf('init', '-input=false', '-no-color'));
    await this.run({ ...this.tf('destroy', '-input=false', '-auto-approve', '-no-color'), stream: true });
  }

  /** Where to look now: the dashboards, the status API. */
  async summary(): Promise<string[]> {
    const outputs = await this.outputs();
    if (this.options.stack === 'serverless') {
      return [
        `Dashboard (Azure Monitor workbook): ${outputs[STACK_OUTPUTS.workbookUrl]}`,
        `Status API: https://${outputs[STACK_OUTPUTS.functionAppHostName]}/api/files (function key: az functionapp keys list -g ${outputs[STACK_OUTPUTS.resourceGroup]} -n ${outputs[STACK_OUTPUTS.functionAppName]})`,
        `Upload CSV files to: https://${outputs[STACK_OUTPUTS.storageAccount]}.blob.core.windows.net/landing/<dataset>/`,
      ];
    }
    return [
      `Dashboard (Managed Grafana): ${outputs[STACK_OUTPUTS.grafanaUrl]}`,
      `Status API: kubectl --kubeconfig ${this.kubeconfig} port-forward -n ${outputs[STACK_OUTPUTS.namespace]} svc/etl-status 8080:80, then http://127.0.0.1:8080/api/files`,
      `Upload CSV files to: https://${outputs[STACK_OUTPUTS.storageAccount]}.blob.core.windows.net/landing/<dataset>/`,
    ];
  }
}

/** Runs the deploy or destroy; never throws for a failed step: says what failed and how to resume. */
export async function runDeploy(options: DeployOptions): Promise<DeployResult> {
  const steps: readonly string[] = options.action === 'destroy' ? DESTROY_STEPS : DEPLOY_STEPS[options.stack];
  if (options.from !== undefined && !steps.includes(options.from)) {
    throw new Error(`--from must be one of ${steps.join(', ')}; got '${options.from}'`);
  }
  mkdirSync(options.workDir, { recursive: true });
  const run = new DeployRun(options);
  const fromIndex = options.from === undefined ? 0 : steps.indexOf(options.from);
  const log = options.log;
  log(
    `${options.action === 'destroy' ? 'Destroying' : 'Deploying'} the ${options.stack} stack${options.dryRun ? ' (dry run: nothing is created, the commands are printed)' : ''}`,
  );
  const actions: Readonly<Record<string, () => Promise<void> | void>> = {
    prerequisites: () => run.prerequisites(),
    package: () => run.packageApp(),
    build: () => run.build(),
    synth: () => run.synth(),
    apply: () => run.apply(),
    publish: () => run.publish(),
    image: () => run.image(),
    kubernetes: () => run.kubernetes(),
    database: () => run.database(),
    'smoke-test': () => run.smokeTest(),
    destroy: () => run.destroy(),
  };
  for (const [index, step] of steps.entries()) {
    const label = `[${index + 1}/${steps.length}] ${step}`;
    if (index < fromIndex && !ALWAYS_RUN.has(step)) {
      log(`${label}: skipped (resuming from ${options.from})`);
      continue;
    }
    log(`${label}: ${STEP_TITLES[step]}`);
    const started = Date.now();
    try {
      await actions[step]!();
    } catch (error) {
      log(`✗ ${step} failed: ${(error as Error).message}`);
      const command =
        options.action === 'destroy'
          ? `npm run destroy -- --stack ${options.stack}`
          : `npm run deploy -- --stack ${options.stack} --from ${step}`;
      log(
        step === 'prerequisites'
          ? 'Nothing was created. Fix the above, then run the command again.'
          : `Fix the cause, then resume with: ${command}`,
      );
      return { ok: false, failedStep: step };
    }
    log(`  ✓ ${step} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  }
  if (options.action === 'destroy') {
    log(`Done: the ${options.stack} stack is deleted.`);
    return { ok: true };
  }
  const summary = await run.summary();
  log(
    options.dryRun ? 'Dry run done. After a real deploy:' : `Done: the ${options.stack} stack runs, and the smoke test's file is loaded.`,
  );
  for (const line of summary) log(`  ${line}`);
  return { ok: true, outputs: options.dryRun ? undefined : await run.outputs() };
}

/** Answers of the dry run for the commands whose output later steps read. */
export function dryRunAnswers(parameters: EtlInfraParameters, stack: DeployStack) {
  const outputs = plannedOutputs(parameters, stack === 'serverless' ? 'fx' : 'aks');
  for (const name of Object.values(DEPLOY_TIME_VALUES)) outputs[name] ??= `<${name}>`;
  return (command: Command): string | undefined => {
    if (command.program === 'az' && command.args[0] === 'version') return JSON.stringify({ 'azure-cli': '2.67.0' });
    if (command.program === 'az' && command.args[0] === 'account')
      return JSON.stringify({ id: '<subscription id>', name: '<subscription>', user: { name: '<you>' } });
    if (command.args.includes('version') && command.args.includes('-json')) return JSON.stringify({ terraform_version: '1.9.0' });
    if (command.args.includes('output') && command.args.includes('-json'))
      return JSON.stringify(Object.fromEntries(Object.entries(outputs).map(([name, value]) => [name, { value }])));
    return undefined;
  };
}

/** The manifests with their `${NAME}` placeholders filled from the stack's outputs, in a folder for `kubectl apply`. */
export function fillManifests(sourceDir: string, targetDir: string, outputs: Readonly<Record<string, string>>): string {
  mkdirSync(targetDir, { recursive: true });
  for (const file of readdirSync(sourceDir)
    .filter((name) => name.endsWith('.json'))
    .sort()) {
    const filled = readFileSync(join(sourceDir, file), 'utf8').replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (whole, name: string) => {
      const value = outputs[name];
      if (value === undefined) throw new Error(`${file} needs ${name}, which the stack does not output`);
      // JSON string content: the values are ids and a connection string, escaped as JSON would.
      return JSON.stringify(value).slice(1, -1);
    });
    JSON.parse(filled);
    writeFileSync(join(targetDir, file), filled);
  }
  return targetDir;
}

/**
 * The Functions host keeps its keys in the storage account (`azure-webjobs-secrets/<host id>/host.json`)
 * when nothing else is configured, as in the aks-keda pods. Read with the Azure CLI's identity.
 */
export async function readHostKeyFromStorage(blobEndpoint: string, hostId: string): Promise<string> {
  // The load test's client for a running pipeline's storage: the endpoint with the Azure CLI's identity.
  const { remoteBlobService } = await import('../../load-tests/remote-target.js');
  const blob = (await remoteBlobService(blobEndpoint)).getContainerClient('azure-webjobs-secrets').getBlobClient(`${hostId}/host.json`);
  const text = (await blob.downloadToBuffer()).toString('utf8');
  const secrets = safeJson<{ functionKeys?: Array<{ name: string; value: string; encrypted?: boolean }> }>(text);
  const key = secrets?.functionKeys?.find((candidate) => candidate.name === 'default');
  if (!key) throw new Error(`no default function key in azure-webjobs-secrets/${hostId}/host.json`);
  if (key.encrypted)
    throw new Error(
      `the host's keys are encrypted (azure-webjobs-secrets/${hostId}/host.json): give the key in ETL_FUNCTION_KEY and run npm run load-test -- --status-url instead`,
    );
  return key.value;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port'))));
    });
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
