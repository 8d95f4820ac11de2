/**
 * Object names. Pure functions.
 */

/** Like werkzeug's secure_filename: ASCII-folded, no separators, no `..`, no control chars, bounded, never empty. */
export function safeFilename(_name: string): string {
  throw new Error('safeFilename: not implemented yet');
}

/** `photo.jpg`, 1 → `photo-1.jpg` (n = 0 returns the name unchanged). */
export function withCollisionSuffix(_name: string, _n: number): string {
  throw new Error('withCollisionSuffix: not implemented yet');
}

/** Where an upload is stored: `<YYYYMMDDTHHZ>/<safe filename>`. */
export function uploadObjectName(_filename: string, _at: Date): string {
  throw new Error('uploadObjectName: not implemented yet');
}

export interface ThumbnailSource {
  name: string;
  generation: string;
  /** The source generation's creation time (object `timeCreated`): fixes the folder for every retry. */
  created: Date;
}

/**
 * Where the thumbnail of one source generation goes: under `prefix`, in a `YYYYMMDDTHHZ` folder taken from
 * `created`, deterministic for (name, generation, created, extension), never equal to another source's
 * (or another generation's) thumbnail.
 */
export function thumbnailObjectName(_prefix: string, _source: ThumbnailSource, _extension: string): string {
  throw new Error('thumbnailObjectName: not implemented yet');
}

/** True for objects thumbnailer writes itself (under the prefix): never processed. */
export function isUnderPrefix(name: string, prefix: string): boolean {
  return prefix.length > 0 && name.startsWith(prefix);
}
