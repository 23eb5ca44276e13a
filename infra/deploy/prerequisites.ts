/**
 * What the deploy needs on the deployer's machine, checked before anything is created: the Azure
 * CLI, signed in; Terraform or OpenTofu; for aks-keda kubectl and the CLI's Grafana extension
 * (the dashboard import runs during apply). All problems are reported together.
 *
 * The cdktf CLI is not needed: the stacks are synthesized in-process by the repository's own
 * cdktf library (as `npm run synth` does), and Terraform or OpenTofu applies the synthesized JSON.
 */
import type { CommandRunner } from './command-runner.js';

export type DeployStack = 'serverless' | 'aks-keda';

export interface Prerequisites {
  /** `terraform` or `tofu`. */
  readonly terraform: string;
  readonly subscription: { readonly id: string; readonly name: string; readonly user: string };
}

/** Oldest Azure CLI with the Flex Consumption commands the deploy uses. */
export const MIN_AZURE_CLI = [2, 60, 0] as const;
/** terraform_data and the provider's protocol need Terraform ≥ 1.5 (OpenTofu ≥ 1.6). */
const MIN_TERRAFORM: Readonly<Record<string, readonly number[]>> = { terraform: [1, 5, 0], tofu: [1, 6, 0] };

export class PrerequisitesError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`not ready to deploy:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'PrerequisitesError';
  }
}

/**
 * Variables that make the azurerm provider sign in as something other than the Azure CLI's
 * identity (its client-secret, certificate, managed-identity and OIDC modes come before the CLI).
 * Terraform would then make that principal the SQL admin and give it the deployer's roles, while
 * the database step and the smoke test sign in as the CLI's identity: refused up front.
 */
const OTHER_TERRAFORM_SIGN_INS = [
  'ARM_CLIENT_ID',
  'ARM_CLIENT_SECRET',
  'ARM_CLIENT_CERTIFICATE_PATH',
  'ARM_OIDC_TOKEN',
  'ARM_USE_MSI',
  'ARM_USE_OIDC',
  'ARM_USE_AKS_WORKLOAD_IDENTITY',
] as const;

/**
 * `preferred`: the `--terraform` option; absent: terraform if installed, else tofu. `env`: the
 * environment Terraform will inherit.
 */
export async function checkPrerequisites(
  runner: CommandRunner,
  stack: DeployStack | 'destroy',
  preferred?: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Prerequisites> {
  const problems: string[] = [];
  let subscription: Prerequisites['subscription'] | undefined;

  const az = await runner.run({ program: 'az', args: ['version', '--output', 'json'] });
  if (az.exitCode === 127) {
    problems.push('the Azure CLI (az) is not installed: https://learn.microsoft.com/cli/azure/install-azure-cli');
  } else {
    const version = parseVersion(safeJson<Record<string, string>>(az.stdout)?.['azure-cli']);
    if (az.exitCode !== 0 || version === undefined)
      problems.push(`could not read the Azure CLI's version (az version exited with ${az.exitCode})`);
    else if (older(version, MIN_AZURE_CLI))
      problems.push(
        `the Azure CLI is ${version.join('.')}; the Flex Consumption commands need ${MIN_AZURE_CLI.join('.')} or later (az upgrade)`,
      );
    const account = await runner.run({ program: 'az', args: ['account', 'show', '--output', 'json'] });
    const parsed = safeJson<{ id?: string; name?: string; user?: { name?: string } }>(account.stdout);
    if (account.exitCode !== 0 || !parsed?.id) {
      problems.push('the Azure CLI is not signed in: run az login (and az account set --subscription <id> to pick the subscription)');
    } else {
      subscription = { id: parsed.id, name: parsed.name ?? parsed.id, user: parsed.user?.name ?? 'unknown user' };
    }
  }
  problems.push(...terraformSignInProblems(env, subscription?.id));

  const terraform = await findTerraform(runner, preferred, problems);

  if (stack === 'aks-keda') {
    const kubectl = await runner.run({ program: 'kubectl', args: ['version', '--client', '--output', 'json'] });
    if (kubectl.exitCode !== 0) problems.push('kubectl is not installed: az aks install-cli, or https://kubernetes.io/docs/tasks/tools/');
    const amg = await runner.run({ program: 'az', args: ['extension', 'show', '--name', 'amg', '--output', 'json'] });
    if (az.exitCode !== 127 && amg.exitCode !== 0)
      problems.push("the Azure CLI's Managed Grafana extension is missing (the dashboard import needs it): az extension add --name amg");
  }

  if (problems.length > 0 || subscription === undefined || terraform === undefined) throw new PrerequisitesError(problems);
  return { terraform, subscription };
}

/** What in the environment would make Terraform work as another identity, or in another subscription, than the az commands. */
function terraformSignInProblems(env: NodeJS.ProcessEnv, cliSubscription: string | undefined): string[] {
  const problems: string[] = [];
  const set = OTHER_TERRAFORM_SIGN_INS.filter((name) => {
    const value = env[name]?.trim() ?? '';
    return value !== '' && value.toLowerCase() !== 'false';
  });
  if (set.length > 0) {
    problems.push(
      `${set.join(', ')} ${set.length === 1 ? 'is' : 'are'} set: Terraform would sign in with ${set.length === 1 ? 'it' : 'them'}, while the database step and the smoke test use the Azure CLI's identity; unset ${set.length === 1 ? 'it' : 'them'} (the deploy signs in with az login throughout)`,
    );
  }
  const armSubscription = env.ARM_SUBSCRIPTION_ID?.trim();
  if (armSubscription && cliSubscription && armSubscription.toLowerCase() !== cliSubscription.toLowerCase()) {
    problems.push(
      `ARM_SUBSCRIPTION_ID is ${armSubscription} but the Azure CLI's subscription is ${cliSubscription}: run az account set --subscription ${armSubscription}, or unset ARM_SUBSCRIPTION_ID`,
    );
  }
  return problems;
}

async function findTerraform(runner: CommandRunner, preferred: string | undefined, problems: string[]): Promise<string | undefined> {
  const candidates = preferred ? [preferred] : ['terraform', 'tofu'];
  for (const program of candidates) {
    const result = await runner.run({ program, args: ['version', '-json'] });
    if (result.exitCode === 127) continue;
    const version = parseVersion(safeJson<{ terraform_version?: string }>(result.stdout)?.terraform_version);
    const minimum = MIN_TERRAFORM[program] ?? MIN_TERRAFORM.terraform!;
    if (result.exitCode !== 0 || version === undefined) {
      problems.push(`could not read ${program}'s version (${program} version -json exited with ${result.exitCode})`);
    } else if (older(version, minimum)) {
      problems.push(`${program} is ${version.join('.')}; ${minimum.join('.')} or later is needed`);
    }
    return program;
  }
  problems.push(`neither ${candidates.join(' nor ')} is installed: install Terraform (≥ 1.5) or OpenTofu (≥ 1.6)`);
  return undefined;
}

function parseVersion(text: string | undefined): number[] | undefined {
  const match = text === undefined ? null : /^v?(\d+)\.(\d+)\.(\d+)/.exec(text);
  return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : undefined;
}

function older(version: readonly number[], minimum: readonly number[]): boolean {
  for (let i = 0; i < minimum.length; i += 1) {
    if ((version[i] ?? 0) !== minimum[i]) return (version[i] ?? 0) < minimum[i]!;
  }
  return false;
}

export function safeJson<T>(text: string): T | undefined {
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}
