/**
 * `npm run deploy` and `npm run destroy` driven against recorded answers of az, terraform and
 * kubectl: the order and arguments of every command, and what happens when an answer is a
 * failure (not signed in, a failed apply, a smoke test that times out). Synthesis is real; the
 * database session, the load test and the health wait are stand-ins.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { LoadTestOutcome } from '../../../load-tests/run-load-test.js';
import type { DatabaseSession } from '../../deploy/database-access.js';
import { runDeploy, type DeployOptions } from '../../deploy/deploy.js';
import { PACKAGE_FILE_NAME } from '../../deploy/function-app-package.js';
import { resolveParameters } from '../../src/parameters.js';
import { plannedOutputs } from '../../src/stack-outputs.js';
import { READY_MACHINE, ScriptedRunner, type ScriptRule } from './scripted-runner.js';

const work = mkdtempSync(join(tmpdir(), 'etl-deploy-sequence-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const repositoryRoot = join(import.meta.dirname, '..', '..', '..');
const parameters = resolveParameters();
const CLIENT_ID = '1b4f0c5e-7a2d-4c1e-9f3a-2d6b8e0a1c44';

function outputsJson(stack: 'fx' | 'aks'): string {
  const values: Record<string, string> = {
    ...plannedOutputs(parameters, stack),
    functions_identity_client_id: CLIENT_ID,
    function_app_default_hostname: 'func-etl-dev-fx-x1.azurewebsites.net',
    workbook_url:
      'https://portal.azure.com/#resource/subscriptions/s/resourceGroups/rg-etl-dev-fx/providers/microsoft.insights/workbooks/w/workbook',
    grafana_dashboard_url: 'https://amg-etldevx1.weu.grafana.azure.com/d/scalable-etl-pipeline',
    ETL_FUNCTIONS_CLIENT_ID: CLIENT_ID,
    ETL_SCALER_CLIENT_ID: '22222222-2222-4222-8222-222222222222',
    APPLICATIONINSIGHTS_CONNECTION_STRING:
      'InstrumentationKey=00000000-0000-0000-0000-000000000001;IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/',
  };
  return JSON.stringify(Object.fromEntries(Object.entries(values).map(([name, value]) => [name, { value, sensitive: false }])));
}

const CLOUD: readonly ScriptRule[] = [
  { match: /^terraform -chdir=\S+ init /, answer: { stdout: 'Terraform has been successfully initialized!' } },
  { match: /^terraform -chdir=\S+ apply /, answer: { stdout: 'Apply complete! Resources: 42 added, 0 changed, 0 destroyed.' } },
  { match: /^terraform -chdir=\S+serverless output -json/, answer: { stdout: outputsJson('fx') } },
  { match: /^terraform -chdir=\S+aks-keda output -json/, answer: { stdout: outputsJson('aks') } },
  { match: /^terraform -chdir=\S+ destroy /, answer: { stdout: 'Destroy complete! Resources: 42 destroyed.' } },
  { match: /^az functionapp config appsettings delete /, answer: {} },
  { match: /^az functionapp deployment source config-zip /, answer: {} },
  { match: /^az functionapp keys list /, answer: { stdout: 'the-function-key\n' } },
  { match: /^az sql server firewall-rule (create|delete) /, answer: {} },
  { match: /^az acr build /, answer: {} },
  { match: /^az aks get-credentials /, answer: {} },
  { match: /^kubectl /, answer: {} },
];

function outcome(ok: boolean): LoadTestOutcome {
  const file = {
    blobName: 'iot_events/load-x-1.csv',
    plannedAtSeconds: 0,
    uploadedAtSeconds: 1.2,
    receivedAtSeconds: ok ? 3.4 : 3.4,
    extractedAtSeconds: ok ? 6 : null,
    completedAtSeconds: ok ? 9.5 : null,
    state: ok ? 'complete' : 'extracting',
    totalRows: 10_000,
    validRows: 9_900,
    rejectedRows: 100,
    loadedRows: ok ? 9_890 : 0,
    duplicateRows: ok ? 10 : 0,
    balanced: ok,
  };
  return { ok, reportPath: join(work, 'report.md'), run: { files: [file] } as never, summary: {} as never };
}

interface Harness {
  readonly runner: ScriptedRunner;
  readonly lines: string[];
  readonly database: string[];
  readonly loadTests: Array<Record<string, unknown>>;
  readonly options: DeployOptions;
}

function harness(stack: DeployOptions['stack'], rules: readonly ScriptRule[], overrides: Partial<DeployOptions> = {}): Harness {
  const runner = new ScriptedRunner([...rules, ...READY_MACHINE, ...CLOUD]);
  const lines: string[] = [];
  const database: string[] = [];
  const loadTests: Array<Record<string, unknown>> = [];
  const workDir = mkdtempSync(join(work, `${stack}-`));
  // The package step is skipped by `from: 'apply'`; publish needs a zip to be there.
  writeFileSync(join(workDir, PACKAGE_FILE_NAME), 'zip');
  const record = (line: string) => {
    database.push(line);
    runner.note(`database: ${line}`);
  };
  const session: DatabaseSession = {
    migrate: async () => record('migrate'),
    run: async (_statement, values) => record(`user ${String(values.userName)} ${String(values.clientId)}`),
    close: async () => record('close'),
  };
  const options: DeployOptions = {
    action: 'deploy',
    stack,
    parameters,
    repositoryRoot,
    workDir,
    runner,
    dryRun: false,
    from: 'apply',
    log: (line) => lines.push(line),
    openDatabase: async () => session,
    publicAddress: async () => '203.0.113.7',
    runLoadTest: async (loadOptions) => {
      loadTests.push(loadOptions as unknown as Record<string, unknown>);
      return outcome(true);
    },
    waitForHealth: async (statusUrl) => runner.note(`health: ${statusUrl}`),
    readHostKey: async () => 'host-key-from-storage',
    sleep: async () => {},
    env: {},
    ...overrides,
  };
  return { runner, lines, database, loadTests, options };
}

describe('npm run deploy, against recorded answers', () => {
  it('serverless: checks, applies, removes the key-less storage setting after the apply, publishes, creates the user, smoke-tests', async () => {
    const h = harness('serverless', []);
    const result = await runDeploy(h.options);
    expect(result.ok).toBe(true);
    const chdir = `-chdir=${join(h.options.workDir, 'cdktf.out', 'stacks', 'serverless')}`;
    expect(h.runner.calls).toEqual([
      'az version --output json',
      'az account show --output json',
      'terraform version -json',
      `terraform ${chdir} init -input=false -no-color`,
      `terraform ${chdir} apply -input=false -auto-approve -no-color`,
      `terraform ${chdir} output -json`,
      'az functionapp config appsettings delete --resource-group rg-etl-dev-fx --name func-etl-dev-fx-x1 --setting-names AzureWebJobsStorage --output none',
      'database: migrate',
      `database: user id-etl-dev-fx-functions ${CLIENT_ID}`,
      'database: close',
      `az functionapp deployment source config-zip --resource-group rg-etl-dev-fx --name func-etl-dev-fx-x1 --src ${join(h.options.workDir, PACKAGE_FILE_NAME)} --output none`,
      // The anonymous health endpoint first: listing keys needs a running host, and a new app starts cold.
      'health: https://func-etl-dev-fx-x1.azurewebsites.net/api',
      'az functionapp keys list --resource-group rg-etl-dev-fx --name func-etl-dev-fx-x1 --query functionKeys.default --output tsv',
    ]);
    // The synthesized stack is what terraform was pointed at.
    expect(readdirSync(join(h.options.workDir, 'cdktf.out', 'stacks'))).toEqual(['serverless']);
    expect(h.database).toEqual(['migrate', `user id-etl-dev-fx-functions ${CLIENT_ID}`, 'close']);
    expect(h.loadTests).toHaveLength(1);
    expect(h.loadTests[0]).toMatchObject({
      files: 1,
      rows: 10_000,
      remote: {
        storage: 'https://stetldevfxx1.blob.core.windows.net',
        statusUrl: 'https://func-etl-dev-fx-x1.azurewebsites.net/api',
        functionKey: 'the-function-key',
      },
    });
    const text = h.lines.join('\n');
    expect(text).toContain('extracted     6.0 s (+2.6 s)');
    expect(text).toContain('every row accounted for: yes');
    expect(text).toContain('Dashboard (Azure Monitor workbook): https://portal.azure.com/#resource/');
    // The function key never reaches the output.
    expect(text).not.toContain('the-function-key');
  });

  it("creates the schema and the function identity's user before any code runs (the pods' readiness probe reads the database)", async () => {
    for (const stack of ['serverless', 'aks-keda'] as const) {
      const h = harness(stack, []);
      expect((await runDeploy(h.options)).ok, stack).toBe(true);
      const user = h.runner.indexOf(/^database: user /);
      expect(user, stack).toBeGreaterThan(h.runner.indexOf(/ apply -input=false/));
      // The first command that starts the app: the zip deployment, or the image the pods run.
      const firstCode = h.runner.indexOf(stack === 'serverless' ? /config-zip/ : /^az acr build|^kubectl .* apply --filename/);
      expect(firstCode, stack).toBeGreaterThan(0);
      expect(user, stack).toBeLessThan(firstCode);
    }
  });

  it('runs the removal of AzureWebJobsStorage after every apply, also when a role assignment made the first one fail', async () => {
    const h = harness('serverless', [
      {
        match: /^terraform -chdir=\S+ apply /,
        answer: (count) =>
          count === 0
            ? { exitCode: 1, stderr: 'Error: creating Event Subscription: AuthorizationFailed: the client does not have authorization' }
            : { stdout: 'Apply complete!' },
      },
    ]);
    const result = await runDeploy({ ...h.options, from: 'apply' });
    expect(result.ok).toBe(true);
    const applies = h.runner.calls.flatMap((line, index) => (/ apply /.test(line) ? [index] : []));
    expect(applies).toHaveLength(2);
    const removal = h.runner.indexOf(/appsettings delete .*AzureWebJobsStorage/);
    expect(removal).toBeGreaterThan(applies[1]!);
    expect(h.runner.indexOf(/config-zip/)).toBeGreaterThan(removal);
  });

  it('stops before anything is created when the Azure CLI is not signed in, and says what to do', async () => {
    const h = harness(
      'serverless',
      [{ match: /^az account show/, answer: { exitCode: 1, stderr: "Please run 'az login' to setup account." } }],
      { from: undefined },
    );
    const result = await runDeploy(h.options);
    expect(result).toMatchObject({ ok: false, failedStep: 'prerequisites' });
    expect(h.runner.calls.some((line) => /terraform .*(init|apply)|az functionapp|az sql/.test(line))).toBe(false);
    const text = h.lines.join('\n');
    expect(text).toContain('run az login');
    expect(text).toContain('Nothing was created.');
  });

  it("runs Terraform in the Azure CLI's subscription, the one every az command of the deploy uses", async () => {
    const h = harness('serverless', []);
    expect((await runDeploy(h.options)).ok).toBe(true);
    const terraform = h.runner.commands.filter(
      (command) => command.program === 'terraform' && command.args.some((arg) => /^(init|apply|output)$/.test(arg)),
    );
    expect(terraform.length).toBeGreaterThanOrEqual(3);
    for (const command of terraform)
      expect(command.env, command.args.join(' ')).toMatchObject({ ARM_SUBSCRIPTION_ID: '00000000-0000-0000-0000-0000000000aa' });
  });

  it('stops before anything is created when Terraform would sign in or deploy elsewhere than the Azure CLI', async () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ ARM_CLIENT_ID: 'a-service-principal', ARM_CLIENT_SECRET: 's' }, 'ARM_CLIENT_ID'],
      [{ ARM_USE_MSI: 'true' }, 'ARM_USE_MSI'],
      [
        { ARM_SUBSCRIPTION_ID: '11111111-1111-1111-1111-111111111111' },
        'az account set --subscription 11111111-1111-1111-1111-111111111111',
      ],
    ];
    for (const [env, expected] of cases) {
      const h = harness('serverless', [], { from: undefined, env });
      const result = await runDeploy(h.options);
      expect(result, expected).toMatchObject({ ok: false, failedStep: 'prerequisites' });
      expect(h.runner.calls.some((line) => /terraform .*(init|apply)/.test(line))).toBe(false);
      expect(h.lines.join('\n')).toContain(expected);
    }
    // The same subscription in both is fine.
    const same = harness('serverless', [], { env: { ARM_SUBSCRIPTION_ID: '00000000-0000-0000-0000-0000000000aa', ARM_USE_MSI: 'false' } });
    expect((await runDeploy(same.options)).ok).toBe(true);
  });

  it('reports every missing tool at once (Terraform, kubectl, the Grafana extension)', async () => {
    const h = harness('aks-keda', [
      { match: /^(terraform|tofu) version/, answer: { exitCode: 127 } },
      { match: /^kubectl version/, answer: { exitCode: 127 } },
      { match: /^az extension show --name amg/, answer: { exitCode: 1 } },
    ]);
    const result = await runDeploy(h.options);
    expect(result.failedStep).toBe('prerequisites');
    const text = h.lines.join('\n');
    for (const expected of ['neither terraform nor tofu is installed', 'kubectl is not installed', 'az extension add --name amg'])
      expect(text).toContain(expected);
  });

  it('stops at a failed apply, runs nothing after it, and says how to resume', async () => {
    const h = harness('serverless', [
      {
        match: /^terraform -chdir=\S+ apply /,
        answer: { exitCode: 1, stderr: 'Error: creating Storage Account: StorageAccountAlreadyTaken' },
      },
    ]);
    const result = await runDeploy(h.options);
    expect(result).toMatchObject({ ok: false, failedStep: 'apply' });
    expect(h.runner.calls.at(-1)).toMatch(/ apply /);
    expect(h.database).toEqual([]);
    const text = h.lines.join('\n');
    expect(text).toContain('StorageAccountAlreadyTaken');
    expect(text).toContain('npm run deploy -- --stack serverless --from apply');
  });

  it('fails the smoke test with a clear message when the app has no default function key', async () => {
    const h = harness('serverless', [{ match: /^az functionapp keys list /, answer: { stdout: '\n' } }], { from: 'smoke-test' });
    const result = await runDeploy(h.options);
    expect(result).toMatchObject({ ok: false, failedStep: 'smoke-test' });
    expect(h.loadTests).toEqual([]);
    expect(h.lines.join('\n')).toContain('no default function key');
  });

  it('fails the smoke test when the file does not complete in time, naming the stage it reached', async () => {
    const h = harness('serverless', [], { from: 'smoke-test', runLoadTest: async () => outcome(false), smokeTestTimeoutSeconds: 120 });
    const result = await runDeploy(h.options);
    expect(result).toMatchObject({ ok: false, failedStep: 'smoke-test' });
    const text = h.lines.join('\n');
    expect(text).toContain('the file did not complete within 2 min (state: extracting)');
    expect(text).toContain('extracted     not reached');
    expect(text).toContain('--from smoke-test');
  });

  it('aks-keda: builds the image in the registry, applies the filled manifests, forwards the status service for the smoke test', async () => {
    const h = harness('aks-keda', []);
    const result = await runDeploy(h.options);
    expect(result.ok).toBe(true);
    const kubeconfig = join(h.options.workDir, 'kubeconfig-aks-keda');
    const order = [
      / apply -input=false/,
      /^az acr build --registry cretldevaksx1 --image scalable-etl:latest --platform linux\/amd64 /,
      new RegExp(`^az aks get-credentials --resource-group rg-etl-dev-aks --name aks-etl-dev-aks --file ${kubeconfig} `),
      /^kubectl --kubeconfig \S+ rollout restart deployment keda-operator --namespace kube-system/,
      /^kubectl --kubeconfig \S+ apply --filename /,
      /^kubectl --kubeconfig \S+ rollout restart deployment --namespace etl --selector app=scalable-etl/,
      /^kubectl --kubeconfig \S+ rollout status deployment\/etl-status --namespace etl --timeout 600s/,
      /^kubectl --kubeconfig \S+ port-forward --namespace etl svc\/etl-status \d+:80 &/,
      /^health: http:\/\/127\.0\.0\.1:\d+\/api$/,
      /^stop: kubectl .* port-forward/,
    ];
    let at = 0;
    for (const pattern of order) {
      const found = h.runner.indexOf(pattern, at);
      expect(found, String(pattern)).toBeGreaterThanOrEqual(at);
      at = found + 1;
    }
    // The manifests applied carry the stack's outputs, no placeholder left.
    const applied = h.runner.commands.find((command) => command.args.includes('apply') && command.program === 'kubectl')!;
    const folder = applied.args[applied.args.indexOf('--filename') + 1]!;
    const texts = readdirSync(folder).map((file) => readFileSync(join(folder, file), 'utf8'));
    expect(texts.join('\n')).not.toMatch(/\$\{[A-Z_]+\}/);
    expect(texts.join('\n')).toContain(CLIENT_ID);
    expect(h.loadTests[0]).toMatchObject({
      remote: { functionKey: 'host-key-from-storage', statusUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/api$/) },
    });
    expect(h.lines.join('\n')).toContain('Dashboard (Managed Grafana): https://amg-etldevx1.weu.grafana.azure.com/d/scalable-etl-pipeline');
  });

  it('destroy: checks, synthesizes and destroys the stack', async () => {
    const h = harness('serverless', [], { action: 'destroy', from: undefined });
    const result = await runDeploy(h.options);
    expect(result.ok).toBe(true);
    expect(h.runner.calls.slice(3).map((line) => line.replace(/-chdir=\S+/, '-chdir=…'))).toEqual([
      'terraform -chdir=… init -input=false -no-color',
      'terraform -chdir=… destroy -input=false -auto-approve -no-color',
    ]);
  });
});
