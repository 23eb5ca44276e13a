/**
 * The commands a user runs, as child processes, sharing one work folder (the compiled app is
 * reused by the later commands, as it is on a user's machine):
 *
 * - `npm run package`: its zip, unpacked into an empty folder with nothing installed, loads the way
 *   the worker loads it (`package.json#main` with the real `@azure/functions` from the zip) and
 *   registers every function with its trigger; it holds production dependencies only.
 * - `npm run deploy -- --stack serverless|aks-keda --dry-run`: offline, it builds, packages and
 *   synthesizes, and prints the exact commands a real deploy runs.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_FILE_NAME, productionDependencyDirs } from '../../deploy/function-app-package.js';

const repositoryRoot = join(import.meta.dirname, '..', '..', '..');
const work = mkdtempSync(join(tmpdir(), 'etl-package-'));
const workDir = join(work, 'deploy');
const unpacked = join(work, 'unpacked');
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface ProbeResult {
  readonly resolved: Record<string, string>;
  readonly functions: ReadonlyArray<{
    name: string;
    bindings: Record<string, { type: string; direction: string; [option: string]: unknown }>;
  }>;
}

/** `npm run <script> -- <args>` in the repository, offline as far as this process can tell it. */
async function npmRun(script: string, args: readonly string[]): Promise<string> {
  const { stdout } = await promisify(execFile)('npm', ['run', '--silent', script, '--', ...args], {
    cwd: repositoryRoot,
    env: { ...process.env, CHECKPOINT_DISABLE: '1', AZURE_CORE_COLLECT_TELEMETRY: 'false' },
    maxBuffer: 32 * 1024 * 1024,
  });
  return stdout;
}

describe('npm run package', () => {
  let zipPath: string;
  let packageOutput: string;
  let probe: ProbeResult;

  beforeAll(async () => {
    packageOutput = await npmRun('package', ['--work-dir', workDir]);
    zipPath = join(workDir, PACKAGE_FILE_NAME);
    for (const [path, data] of Object.entries(unzipSync(readFileSync(zipPath)))) {
      if (path.endsWith('/')) continue;
      mkdirSync(dirname(join(unpacked, path)), { recursive: true });
      writeFileSync(join(unpacked, path), data);
    }
    const tsx = join(repositoryRoot, 'node_modules', '.bin', 'tsx');
    const { stdout } = await promisify(execFile)(tsx, [join(import.meta.dirname, 'package-probe.ts'), unpacked], {
      cwd: unpacked,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
      maxBuffer: 16 * 1024 * 1024,
    });
    probe = JSON.parse(stdout.trim().split('\n').at(-1)!) as ProbeResult;
  }, 600_000);

  it('holds host.json, a package.json without dev dependencies or workspaces, and the compiled app', () => {
    expect(readdirSync(unpacked).sort()).toEqual(['dist', 'host.json', 'node_modules', 'package.json']);
    expect(readFileSync(join(unpacked, 'host.json'), 'utf8')).toBe(readFileSync(join(repositoryRoot, 'host.json'), 'utf8'));
    const manifest = JSON.parse(readFileSync(join(unpacked, 'package.json'), 'utf8')) as Record<string, unknown>;
    const source = JSON.parse(readFileSync(join(repositoryRoot, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest).toMatchObject({ main: source.main, type: 'module', dependencies: source.dependencies });
    for (const field of ['devDependencies', 'workspaces', 'scripts', 'bin']) expect(manifest, field).not.toHaveProperty(field);
    expect(readdirSync(join(unpacked, 'dist')).sort()).toEqual(['functions', 'shared']);
    const compiled = readdirSync(join(unpacked, 'dist', 'functions'));
    expect(compiled).toContain('index.js');
    expect(compiled.filter((name) => name.includes('.test.'))).toEqual([]);
  });

  it('ships production dependencies only: nothing of the dev tools or the infra workspace', () => {
    const dependencies = productionDependencyDirs(repositoryRoot);
    for (const directory of dependencies) expect(existsSync(join(unpacked, directory, 'package.json')), directory).toBe(true);
    const shipped = new Set(
      readdirSync(join(unpacked, 'node_modules')).flatMap((name) =>
        name.startsWith('@') ? readdirSync(join(unpacked, 'node_modules', name)).map((inner) => `${name}/${inner}`) : [name],
      ),
    );
    for (const name of Object.keys(
      (JSON.parse(readFileSync(join(repositoryRoot, 'package.json'), 'utf8')) as { dependencies: object }).dependencies,
    )) {
      expect(shipped, name).toContain(name);
    }
    for (const devOnly of [
      'typescript',
      'vitest',
      'azurite',
      'better-sqlite3',
      'tsx',
      'eslint',
      'cdktf',
      '@cdktf/provider-azurerm',
      'constructs',
      'kubernetes-models',
      'fflate',
    ]) {
      expect(shipped, devOnly).not.toContain(devOnly);
    }
  });

  it('loads with the real @azure/functions from the zip and registers every function with its trigger', () => {
    for (const [name, path] of Object.entries(probe.resolved)) expect(path.startsWith(unpacked), `${name} from ${path}`).toBe(true);
    const byName = Object.fromEntries(probe.functions.map((fn) => [fn.name, fn.bindings]));
    expect(Object.keys(byName).sort()).toEqual([
      'aggregate',
      'deadletters',
      'extract',
      'extractSweep',
      'files',
      'health',
      'metrics',
      'outboxRelay',
      'summary',
      'transform',
    ]);
    for (const [name, bindings] of Object.entries(byName)) {
      const triggers = Object.values(bindings).filter((binding) => binding.direction === 'in' && binding.type.endsWith('Trigger'));
      expect(triggers, name).toHaveLength(1);
    }
    const trigger = (name: string) => Object.values(byName[name]!).find((binding) => binding.type.endsWith('Trigger'));
    expect(trigger('extract')).toMatchObject({ type: 'queueTrigger', queueName: 'landing-events', connection: 'AzureWebJobsStorage' });
    expect(trigger('transform')).toMatchObject({
      type: 'eventHubTrigger',
      eventHubName: '%ETL_RECORDS_HUB%',
      consumerGroup: '%ETL_TRANSFORM_CONSUMER_GROUP%',
      connection: 'ETL_EVENTHUB',
      cardinality: 'many',
    });
    expect(trigger('aggregate')).toMatchObject({
      type: 'eventHubTrigger',
      eventHubName: '%ETL_AGGREGATES_HUB%',
      consumerGroup: '%ETL_AGGREGATE_CONSUMER_GROUP%',
      connection: 'ETL_EVENTHUB',
    });
    expect(trigger('outboxRelay')).toMatchObject({ type: 'timerTrigger', schedule: '*/30 * * * * *' });
    expect(trigger('extractSweep')).toMatchObject({ type: 'timerTrigger', schedule: '0 * * * * *' });
    for (const [name, authLevel] of [
      ['files', 'function'],
      ['deadletters', 'function'],
      ['summary', 'function'],
      ['health', 'anonymous'],
      ['metrics', 'anonymous'],
    ] as const) {
      expect(trigger(name), name).toMatchObject({ type: 'httpTrigger', authLevel, route: name });
      expect(
        Object.values(byName[name]!).some((binding) => binding.type === 'http' && binding.direction === 'out'),
        name,
      ).toBe(true);
    }
  });

  it('prints its size, and stays small (a dev tree getting in would not)', () => {
    // The figure is in infra/README.md ("What the deploy creates").
    expect(packageOutput).toMatch(/scalable-etl-functions\.zip: \d+(\.\d)? MiB, [\d,]+ files, \d+ production packages/);
    expect(readFileSync(zipPath).byteLength).toBeLessThan(60 * 1024 * 1024);
  });
});

describe('npm run deploy -- --dry-run', () => {
  const printed: Record<string, string> = {};
  beforeAll(async () => {
    // One after the other: the second reuses the compiled app of the first.
    for (const stack of ['serverless', 'aks-keda'])
      printed[stack] = await npmRun('deploy', ['--stack', stack, '--dry-run', '--work-dir', workDir]);
  }, 600_000);

  /** The commands as printed (`    $ …`), in order. */
  const commands = (stack: string) =>
    printed[stack]!.split('\n')
      .filter((line) => line.startsWith('    $ '))
      .map((line) => line.slice(6));

  it('serverless: builds, packages, synthesizes, and lists every command of a real deploy in order', () => {
    const stackDir = join(workDir, 'cdktf.out', 'stacks', 'serverless');
    expect(existsSync(join(stackDir, 'cdk.tf.json'))).toBe(true);
    expect(existsSync(join(workDir, PACKAGE_FILE_NAME))).toBe(true);
    // Nothing changed since `npm run package` wrote the zip into the same work folder: kept, not deflated again.
    expect(printed.serverless).toMatch(/scalable-etl-functions\.zip is up to date \([\d,]+ files/);
    // Nor compiled again: tsc does not run when nothing it reads changed.
    expect(printed.serverless).toContain('the compiled app is up to date');
    expect(commands('serverless')).toEqual([
      'az version --output json',
      'az account show --output json',
      'terraform version -json',
      `ARM_SUBSCRIPTION_ID='<subscription id>' terraform -chdir=${stackDir} init -input=false -no-color`,
      `ARM_SUBSCRIPTION_ID='<subscription id>' terraform -chdir=${stackDir} apply -input=false -auto-approve -no-color`,
      `ARM_SUBSCRIPTION_ID='<subscription id>' terraform -chdir=${stackDir} output -json`,
      'az functionapp config appsettings delete --resource-group rg-etl-dev-fx --name func-etl-dev-fx-x1 --setting-names AzureWebJobsStorage --output none',
      "az sql server firewall-rule create --resource-group rg-etl-dev-fx --server sql-etl-dev-fx-x1 --name '<etl-deploy-yyyymmddhhmmss>' --start-ip-address '<your public address>' --end-ip-address '<your public address>' --output none",
      "az sql server firewall-rule delete --resource-group rg-etl-dev-fx --server sql-etl-dev-fx-x1 --name '<etl-deploy-yyyymmddhhmmss>' --output none",
      `az functionapp deployment source config-zip --resource-group rg-etl-dev-fx --name func-etl-dev-fx-x1 --src ${join(workDir, PACKAGE_FILE_NAME)} --output none`,
      'az functionapp keys list --resource-group rg-etl-dev-fx --name func-etl-dev-fx-x1 --query functionKeys.default --output tsv',
    ]);
    expect(printed.serverless).toContain('CREATE USER');
    expect(printed.serverless).toContain('Dry run done.');
  });

  it('aks-keda: builds, synthesizes with the manifests, and lists the image build, the Kubernetes steps and the port-forward', () => {
    const stackDir = join(workDir, 'cdktf.out', 'stacks', 'aks-keda');
    expect(readdirSync(join(stackDir, 'k8s')).length).toBeGreaterThan(0);
    expect(existsSync(join(stackDir, 'dashboards', 'grafana-dashboard.json'))).toBe(true);
    expect(printed['aks-keda']).toContain('the app compiles (unchanged since it last compiled here)');
    const list = commands('aks-keda');
    expect(list.slice(0, 5)).toEqual([
      'az version --output json',
      'az account show --output json',
      'terraform version -json',
      'kubectl version --client --output json',
      'az extension show --name amg --output json',
    ]);
    const expectedOrder = [
      / apply -input=false -auto-approve/,
      /^az sql server firewall-rule create /,
      /^az sql server firewall-rule delete /,
      /^az acr build --registry cretldevaksx1 --image scalable-etl:latest /,
      /^az aks get-credentials /,
      /^kubectl --kubeconfig \S+ apply --filename \S+k8s-aks-keda$/,
      /^kubectl --kubeconfig \S+ rollout status deployment\/etl-status/,
      /^kubectl --kubeconfig \S+ port-forward --namespace etl svc\/etl-status 8080:80 &$/,
    ];
    let from = 0;
    for (const pattern of expectedOrder) {
      const index = list.findIndex((line, at) => at >= from && pattern.test(line));
      expect(index, String(pattern)).toBeGreaterThanOrEqual(0);
      from = index + 1;
    }
    // What Terraform itself runs during the apply is listed too.
    expect(printed['aks-keda']).toContain(
      'az grafana dashboard import --resource-group rg-etl-dev-aks --name amg-etldevx1 --definition dashboards/grafana-dashboard.json',
    );
    expect(printed['aks-keda']).toContain('Dry run done.');
  });
});
