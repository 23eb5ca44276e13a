/**
 * `npm run synth` / `cdktf synth|deploy`: synthesizes both stacks offline into cdktf.out/
 * (Terraform JSON per stack, plus Kubernetes manifests for aks-keda). Parameters: the defaults in
 * src/parameters.ts, overridden by `context.etl` in cdktf.json. `npm run deploy` synthesizes the
 * same way (infra/deploy/).
 */
import { buildEtlApp } from './src/etl-app.js';
import { parametersFromCdktfJson } from './src/cdktf-json-parameters.js';

// The cdktf CLI sets CDKTF_OUTDIR; App falls back to ./cdktf.out.
const { app } = buildEtlApp(parametersFromCdktfJson());
app.synth();
console.log(`synthesized stacks serverless and aks-keda into ${app.outdir}`);
