/**
 * Writes the Kubernetes manifests next to the stack's Terraform JSON
 * (`cdktf.out/stacks/<stack>/k8s/*.json`) whenever the stack is synthesized. They are not Terraform
 * resources: the `kubernetes` provider's prebuilt bindings are not installed here, and the cluster
 * they target does not exist until the stack is deployed; the deploy command applies them
 * (infra/deploy/). JSON, because kubectl reads it like YAML and no YAML library is a declared
 * dependency.
 */
import type { TerraformStack } from 'cdktf';
import { writeFilesOnSynthesis } from '../building-blocks/files-beside-stack.js';
import type { KubernetesManifest } from './kubernetes-manifests.js';

export const MANIFEST_DIRECTORY = 'k8s';

/** Each manifest is validated against its schema as it is written. */
export function writeManifestsOnSynthesis(stack: TerraformStack, manifests: readonly KubernetesManifest[]): void {
  writeFilesOnSynthesis(stack, () =>
    manifests.map((manifest) => {
      manifest.object.validate();
      return { path: `${MANIFEST_DIRECTORY}/${manifest.fileName}`, content: `${JSON.stringify(manifest.object.toJSON(), null, 2)}\n` };
    }),
  );
}
