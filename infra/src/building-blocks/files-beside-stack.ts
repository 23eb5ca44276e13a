/**
 * Files written next to a stack's Terraform JSON (`cdktf.out/stacks/<stack>/…`) whenever the stack
 * is synthesized: the aks-keda Kubernetes manifests, and dashboards a provisioner reads. Wraps the
 * stack's synthesizer (public cdktf API), so every synthesis writes them, CLI or not.
 */
import type { ISynthesisSession, TerraformStack } from 'cdktf';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface FileBesideStack {
  /** Relative to the stack's folder, e.g. `k8s/00-namespace.json`. */
  readonly path: string;
  readonly content: string;
}

export function writeFilesOnSynthesis(stack: TerraformStack, files: () => readonly FileBesideStack[]): void {
  const synthesizer = stack.synthesizer;
  stack.synthesizer = {
    synthesize(session: ISynthesisSession): void {
      synthesizer.synthesize(session);
      const stackDirectory = join(session.outdir, session.manifest.forStack(stack).workingDirectory);
      for (const file of files()) {
        const path = join(stackDirectory, file.path);
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, file.content);
      }
    },
  };
}
