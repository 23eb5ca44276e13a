/**
 * `npm run synth` / `cdktf synth|deploy`: synthesizes both stacks offline into cdktf.out/
 * (Terraform JSON per stack, plus Kubernetes manifests for aks-keda). Parameters: the defaults in
 * src/parameters.ts, overridden by `context.etl` in cdktf.json.
 */
import { readFileSync } from 'node:fs';
import { buildEtlApp } from './src/etl-app.js';
import { resolveParameters, type EtlInfraParameterOverrides } from './src/parameters.js';

interface CdktfJson {
  readonly context?: { readonly etl?: EtlInfraParameterOverrides };
}

// Read directly (not through App context) so `tsx main.ts` without the cdktf CLI sees it too.
const cdktfJson = JSON.parse(readFileSync(new URL('./cdktf.json', import.meta.url), 'utf8')) as CdktfJson;
const parameters = resolveParameters(cdktfJson.context?.etl);

// The cdktf CLI sets CDKTF_OUTDIR; App falls back to ./cdktf.out.
const { app } = buildEtlApp(parameters);
app.synth();
console.log(`synthesized stacks serverless and aks-keda into ${app.outdir}`);
