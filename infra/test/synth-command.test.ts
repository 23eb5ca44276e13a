/**
 * `npm run synth`'s entry point (main.ts) end to end: a child process with CHECKPOINT_DISABLE=1,
 * no Terraform binary and no network, writing both stacks and the manifests.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const infraDirectory = join(import.meta.dirname, '..');
const outdir = mkdtempSync(join(tmpdir(), 'etl-synth-'));

describe('main.ts (npm run synth)', () => {
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('synthesizes both stacks and the Kubernetes manifests offline', async () => {
    const tsx = join(infraDirectory, '..', 'node_modules', '.bin', 'tsx');
    const { stdout } = await promisify(execFile)(tsx, ['main.ts'], {
      cwd: infraDirectory,
      env: { ...process.env, CHECKPOINT_DISABLE: '1', CDKTF_OUTDIR: outdir },
    });
    expect(stdout).toContain('synthesized stacks serverless and aks-keda');
    const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as { stacks: Record<string, unknown> };
    expect(Object.keys(manifest.stacks).sort()).toEqual(['aks-keda', 'serverless']);
    for (const stack of ['serverless', 'aks-keda']) expect(existsSync(join(outdir, 'stacks', stack, 'cdk.tf.json'))).toBe(true);
    expect(readdirSync(join(outdir, 'stacks', 'aks-keda', 'k8s')).length).toBeGreaterThan(0);
    // A tsx child synthesizing two stacks: about 10 s on a loaded 2-core machine, so room above the default 60 s.
  }, 180_000);
});
