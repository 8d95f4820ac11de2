/**
 * Which objects under THUMBNAIL_PREFIX the prune pass deletes: renditions whose spec is no longer in RENDITIONS,
 * told by their own metadata (`rendition`, `renditionSpec`, `thumbnailOf`, `sourceGeneration`, as every listing
 * returns it: no extra read), never by their name alone. Pure.
 *
 * - A rendition of a source outside INPUT_FOLDER, an object that is no rendition (no `thumbnailOf`: the checkpoints,
 *   anything else kept there) or whose name and metadata disagree is kept: on any doubt, nothing is deleted.
 * - A rendition (`rendition` + `renditionSpec`) is current when RENDITIONS has a spec of that name that makes that
 *   canonical spec for some source format, written under that kind of name (the default rendition's legacy name, or
 *   `<rendition>-<hash>`); otherwise it is retired.
 * - A thumbnail of an earlier release (only `thumbnailOf` + `sourceGeneration`, under the legacy name) is the default
 *   rendition's: kept while RENDITIONS has the default rendition (`thumb:<THUMBNAIL_SIZE>x<THUMBNAIL_SIZE>`).
 *
 * One retired rendition sits where a current one goes: the default rendition's name with an old size (THUMBNAIL_SIZE
 * changed). The pipeline takes any object at that name as done, so after deleting it the pass makes it anew (`remake`).
 */
import {
  SUPPORTED_FORMATS,
  canonicalSpec,
  parseRenditionObjectName,
  type RenditionSpec,
  type StoredObject,
} from '@thumbnailer/core';

export type PruneVerdict =
  | { action: 'keep'; why: string }
  | { action: 'delete'; why: string; remake: boolean; source: { name: string; generation: string } };

export interface PruneScope {
  bucket: string;
  /** INPUT_FOLDER's prefix: only renditions of sources under it are judged. */
  inputPrefix: string;
  thumbnailPrefix: string;
  renditions: readonly RenditionSpec[];
}

/** Every canonical spec `spec` makes, over the source formats (a source-format rendition makes several). */
export function canonicalForms(spec: RenditionSpec): Set<string> {
  return new Set(SUPPORTED_FORMATS.map((format) => canonicalSpec(spec, format)));
}

export function pruneVerdict(object: StoredObject, scope: PruneScope): PruneVerdict {
  const meta = object.metadata;
  const of = meta.thumbnailOf;
  const sourceRoot = `gs://${scope.bucket}/`;
  if (of === undefined) return { action: 'keep', why: 'not a rendition (no thumbnailOf)' };
  if (!of.startsWith(sourceRoot + scope.inputPrefix))
    return { action: 'keep', why: 'a rendition of a source outside INPUT_FOLDER' };
  const parsed = parseRenditionObjectName(object.name, scope.thumbnailPrefix);
  const source = { name: of.slice(sourceRoot.length), generation: meta.sourceGeneration ?? '' };
  if (!parsed || parsed.source !== source.name || parsed.generation !== source.generation)
    return { action: 'keep', why: 'its name and metadata disagree' };
  const legacyName = parsed.rendition === undefined;
  const retire = (why: string, remake = false): PruneVerdict => ({ action: 'delete', why, remake, source });

  if (meta.rendition === undefined) {
    if (!legacyName) return { action: 'keep', why: 'its name and metadata disagree' };
    return scope.renditions.some((spec) => spec.legacyName)
      ? {
          action: 'keep',
          why: 'a thumbnail of an earlier release: the default rendition is still in RENDITIONS',
        }
      : retire('a thumbnail of an earlier release, and the default rendition is no longer in RENDITIONS');
  }
  if (!legacyName && parsed.rendition !== meta.rendition)
    return { action: 'keep', why: 'its name and metadata disagree' };
  const spec = scope.renditions.find((s) => s.name === meta.rendition);
  if (!spec) return retire(`rendition ${meta.rendition} is no longer in RENDITIONS`);
  const made = meta.renditionSpec;
  if (made === undefined) return { action: 'keep', why: 'no renditionSpec to judge it by' };
  if (!canonicalForms(spec).has(made))
    return retire(`${meta.rendition} is no longer ${made}`, legacyName && spec.legacyName);
  if (legacyName !== spec.legacyName) return retire(`${meta.rendition} is now written under another name`);
  return { action: 'keep', why: 'current' };
}
