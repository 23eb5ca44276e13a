/**
 * Writes the Kubernetes manifests next to the stack's Terraform JSON
 * (`cdktf.out/stacks/<stack>/k8s/*.json`) whenever the stack is synthesized. They are not Terraform
 * resources: the `kubernetes` provider's prebuilt bindings are not installed here, and the cluster
 * they target does not exist until the stack is deployed; README.md documents the `kubectl apply`
 * step. JSON, because kubectl reads it like YAML and no YAML library is a declared dependency.
 */
import type { ISynthesisSession, TerraformStack } from 'cdktf';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubernetesManifest } from './kubernetes-manifests.js';

export const MANIFEST_DIRECTORY = 'k8s';

/** Wraps the stack's synthesizer (public cdktf API) so the files appear in every synthesis. */
export function writeManifestsOnSynthesis(stack: TerraformStack, manifests: readonly KubernetesManifest[]): void {
  const terraformSynthesizer = stack.synthesizer;
  stack.synthesizer = {
    synthesize(session: ISynthesisSession): void {
      terraformSynthesizer.synthesize(session);
      const stackDirectory = join(session.outdir, session.manifest.forStack(stack).workingDirectory);
      const directory = join(stackDirectory, MANIFEST_DIRECTORY);
      mkdirSync(directory, { recursive: true });
      for (const manifest of manifests) {
        manifest.object.validate();
        writeFileSync(join(directory, manifest.fileName), `${JSON.stringify(manifest.object.toJSON(), null, 2)}\n`);
      }
    },
  };
}
