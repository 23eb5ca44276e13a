/** Builds the cdktf app with both stacks; main.ts synthesizes it, tests call it with parameters. */
import { App } from 'cdktf';
import { AksKedaStack } from './aks-keda/aks-keda-stack.js';
import type { EtlInfraParameters } from './parameters.js';
import { ServerlessStack } from './serverless/serverless-stack.js';

export const STACK_NAMES = { serverless: 'serverless', aksKeda: 'aks-keda' } as const;

export interface EtlApp {
  readonly app: App;
  readonly serverless: ServerlessStack;
  readonly aksKeda: AksKedaStack;
}

/** `outdir` absent: cdktf's default (CDKTF_OUTDIR, else ./cdktf.out). */
export function buildEtlApp(parameters: EtlInfraParameters, outdir?: string): EtlApp {
  const app = new App(outdir === undefined ? {} : { outdir });
  return {
    app,
    serverless: new ServerlessStack(app, STACK_NAMES.serverless, parameters),
    aksKeda: new AksKedaStack(app, STACK_NAMES.aksKeda, parameters),
  };
}
