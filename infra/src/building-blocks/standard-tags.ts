/**
 * Tags every taggable resource of a stack. An aspect rather than a `tags` argument per resource,
 * so a resource added later cannot be forgotten; the policy test checks the synthesized JSON anyway.
 */
import { Aspects, TerraformResource, type IAspect } from 'cdktf';
import type { IConstruct } from 'constructs';

/** Generated provider classes of taggable resources have a `tags` setter and a `tagsInput` getter. */
interface Taggable {
  tags: Record<string, string>;
  readonly tagsInput?: Record<string, string>;
}

function isTaggable(node: IConstruct): node is TerraformResource & Taggable {
  return node instanceof TerraformResource && 'tagsInput' in node;
}

class StandardTagsAspect implements IAspect {
  constructor(private readonly tags: Readonly<Record<string, string>>) {}

  visit(node: IConstruct): void {
    // Tags set on the resource itself win over the standard ones.
    if (isTaggable(node)) node.tags = { ...this.tags, ...node.tagsInput };
  }
}

export function applyStandardTags(scope: IConstruct, tags: Readonly<Record<string, string>>): void {
  Aspects.of(scope).add(new StandardTagsAspect(tags));
}
