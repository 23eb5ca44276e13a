/**
 * The deployment's parameters as `npm run synth` and `npm run deploy` read them: the defaults in
 * parameters.ts, overridden by `context.etl` in infra/cdktf.json.
 */
import { readFileSync } from 'node:fs';
import { resolveParameters, type EtlInfraParameterOverrides, type EtlInfraParameters } from './parameters.js';

interface CdktfJson {
  readonly context?: { readonly etl?: EtlInfraParameterOverrides };
}

export const CDKTF_JSON = new URL('../cdktf.json', import.meta.url);

// Read directly (not through App context) so `tsx main.ts` without the cdktf CLI sees it too.
export function parametersFromCdktfJson(file: URL | string = CDKTF_JSON): EtlInfraParameters {
  const cdktfJson = JSON.parse(readFileSync(file, 'utf8')) as CdktfJson;
  return resolveParameters(cdktfJson.context?.etl);
}
