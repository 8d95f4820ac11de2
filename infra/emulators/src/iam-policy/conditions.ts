// IAM conditions on a grant: only `resource.name.startsWith("projects/_/buckets/…")`, with the served bucket and the
// thumbnail prefix resolved; any other condition throws.
import type { PolicyCondition } from './model.js';
import { firstBlock, Unsupported, type Json } from './terraform.js';

/** `served`: what `google_storage_bucket.uploads.name` and `var.thumbnail_prefix` resolve to. */
export function conditionOf(
  body: Json,
  where: string,
  served: { bucket: string; thumbnailPrefix: string },
): PolicyCondition | undefined {
  const block = firstBlock(body, 'condition');
  if (!block) return undefined;
  const expression = block.expression;
  const match =
    typeof expression === 'string'
      ? /^\s*resource\.name\.startsWith\(\s*"([^"\\]*)"\s*\)\s*$/.exec(expression)
      : undefined;
  if (!match) throw new Unsupported(`condition ${JSON.stringify(expression)}`, where);
  const resourceNamePrefix = match[1]!.replace(/\$\{\s*([\w.]+)\s*\}/g, (ref, name: string) => {
    if (name === 'google_storage_bucket.uploads.name') return served.bucket;
    if (name === 'var.thumbnail_prefix') return served.thumbnailPrefix;
    throw new Unsupported(`condition reference ${ref}`, where);
  });
  if (!resourceNamePrefix.startsWith('projects/_/buckets/'))
    throw new Unsupported(`condition ${expression as string} (not a Cloud Storage resource name)`, where);
  return { expression: expression as string, resourceNamePrefix };
}
