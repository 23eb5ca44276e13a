/** Every function the app registers runs in exactly one AKS Deployment, and no Deployment names a missing one. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PER_POD_FUNCTIONS, WORKLOAD_FUNCTIONS } from '../src/aks-keda/function-workloads.js';

const functionsDir = fileURLToPath(new URL('../../functions', import.meta.url));

function registeredFunctionNames(): string[] {
  const names: string[] = [];
  for (const file of readdirSync(functionsDir).filter((name) => name.endsWith('.ts'))) {
    const source = readFileSync(join(functionsDir, file), 'utf8');
    for (const match of source.matchAll(/app\.(?:http|storageQueue|eventHub|timer|storageBlob|get|post)\('([^']+)'/g))
      names.push(match[1]!);
  }
  return names.sort();
}

describe('AKS workloads and the app’s functions', () => {
  it('runs every registered function in exactly one Deployment, and the per-pod ones in every Deployment', () => {
    const assigned = [...Object.values(WORKLOAD_FUNCTIONS).flat(), ...PER_POD_FUNCTIONS].sort();
    expect(new Set(assigned).size).toBe(assigned.length);
    expect(assigned).toEqual(registeredFunctionNames());
  });
});
