/**
 * `npm run deploy -- --stack serverless|aks-keda [--dry-run] [--from <step>] [--terraform tofu]`,
 * `npm run destroy -- --stack …` and `npm run package`. Parameters come from infra/cdktf.json
 * (`context.etl`), as for `npm run synth`. Exit code 1 when a step fails; the output says which
 * and how to resume.
 */
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parametersFromCdktfJson } from '../src/cdktf-json-parameters.js';
import { ProcessRunner } from './command-runner.js';
import { dryRunAnswers, runDeploy, type DeployStack } from './deploy.js';
import { DryRunRunner } from './dry-run-runner.js';
import { formatBytes, packageFunctionApp } from './function-app-package.js';

const REPOSITORY_ROOT = resolve(import.meta.dirname, '..', '..');
/** Default work folder (git-ignored): build output, the zip, synthesized stacks, kubeconfig, reports. */
export const DEFAULT_WORK_DIR = join(REPOSITORY_ROOT, 'infra', '.deploy');
const STACKS: readonly DeployStack[] = ['serverless', 'aks-keda'];

const USAGE = `usage:
  npm run deploy -- --stack serverless|aks-keda [--dry-run] [--from <step>] [--terraform terraform|tofu] [--smoke-test-minutes N] [--work-dir DIR]
  npm run destroy -- --stack serverless|aks-keda [--dry-run] [--terraform terraform|tofu] [--work-dir DIR]
  npm run package [-- --work-dir DIR]`;

async function main(argv: string[]): Promise<number> {
  const [action, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      stack: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      from: { type: 'string' },
      terraform: { type: 'string' },
      'smoke-test-minutes': { type: 'string' },
      'work-dir': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const workDir = resolve(values['work-dir'] ?? DEFAULT_WORK_DIR);
  process.env.CHECKPOINT_DISABLE = '1';
  process.env.AZURE_CORE_COLLECT_TELEMETRY ??= 'false';

  if (action === 'package') {
    const built = await packageFunctionApp({ repositoryRoot: REPOSITORY_ROOT, workDir });
    console.log(
      `${relative(process.cwd(), built.zipPath)}: ${formatBytes(built.bytes)}, ${built.files.toLocaleString('en-US')} files, ${built.dependencies.length} production packages${built.reused ? ' (unchanged, kept)' : ''}`,
    );
    return 0;
  }
  if (action !== 'deploy' && action !== 'destroy') throw new Error(USAGE);
  if (!STACKS.includes(values.stack as DeployStack)) throw new Error(`--stack must be serverless or aks-keda\n${USAGE}`);
  if (values.terraform !== undefined && !['terraform', 'tofu'].includes(values.terraform))
    throw new Error('--terraform must be terraform or tofu');
  const stack = values.stack as DeployStack;
  const parameters = parametersFromCdktfJson();
  const log = (line: string) => console.log(line);
  const dryRun = values['dry-run'];
  const minutes = values['smoke-test-minutes'] === undefined ? undefined : Number(values['smoke-test-minutes']);
  if (minutes !== undefined && !(minutes > 0)) throw new Error('--smoke-test-minutes must be a positive number');
  const result = await runDeploy({
    action,
    stack,
    parameters,
    repositoryRoot: REPOSITORY_ROOT,
    workDir,
    runner: dryRun ? new DryRunRunner(log, dryRunAnswers(parameters, stack)) : new ProcessRunner(),
    dryRun,
    from: values.from,
    terraform: values.terraform,
    smokeTestTimeoutSeconds: minutes === undefined ? undefined : minutes * 60,
    log,
  });
  return result.ok ? 0 : 1;
}

main(process.argv.slice(2)).then(
  // The smoke test's SDK clients may keep timers alive: the command ends when its work does.
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
