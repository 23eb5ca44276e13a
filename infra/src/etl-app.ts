/** Builds the cdktf app with both stacks; main.ts synthesizes it, tests call it with parameters. */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, LocalBackend, type TerraformStack } from 'cdktf';
import { AksKedaStack } from './aks-keda/aks-keda-stack.js';
import type { EtlInfraParameters } from './parameters.js';
import { ServerlessStack } from './serverless/serverless-stack.js';

export const STACK_NAMES = { serverless: 'serverless', aksKeda: 'aks-keda' } as const;
export type StackName = (typeof STACK_NAMES)[keyof typeof STACK_NAMES];

/** Where Terraform keeps each stack's state by default: `infra/terraform.<stack>.tfstate` (git-ignored). */
export const DEFAULT_STATE_DIRECTORY = join(dirname(fileURLToPath(import.meta.url)), '..');

export interface EtlApp {
  readonly app: App;
  readonly serverless?: ServerlessStack;
  readonly aksKeda?: AksKedaStack;
}

export interface EtlAppOptions {
  /** Only these stacks (default both): the deploy command synthesizes the one it deploys. */
  readonly stacks?: readonly StackName[];
  /** Folder of the local state files (default DEFAULT_STATE_DIRECTORY), whatever the working directory. */
  readonly stateDirectory?: string;
}

/** `outdir` absent: cdktf's default (CDKTF_OUTDIR, else ./cdktf.out). */
export function buildEtlApp(parameters: EtlInfraParameters, outdir?: string, options: EtlAppOptions = {}): EtlApp {
  const app = new App(outdir === undefined ? {} : { outdir });
  const wanted = new Set<StackName>(options.stacks ?? Object.values(STACK_NAMES));
  const stateDirectory = options.stateDirectory ?? DEFAULT_STATE_DIRECTORY;
  const withState = <T extends TerraformStack>(stack: T, name: StackName): T => {
    new LocalBackend(stack, { path: join(stateDirectory, `terraform.${name}.tfstate`) });
    return stack;
  };
  return {
    app,
    serverless: wanted.has(STACK_NAMES.serverless)
      ? withState(new ServerlessStack(app, STACK_NAMES.serverless, parameters), STACK_NAMES.serverless)
      : undefined,
    aksKeda: wanted.has(STACK_NAMES.aksKeda)
      ? withState(new AksKedaStack(app, STACK_NAMES.aksKeda, parameters), STACK_NAMES.aksKeda)
      : undefined,
  };
}
