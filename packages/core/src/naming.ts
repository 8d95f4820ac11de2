/**
 * Object names. Pure functions.
 */
import { createHash } from 'node:crypto';
import { EXTENSIONS, type ImageFormat } from './formats.js';
import { RENDITION_NAME, canonicalSpec, outputFormat, type RenditionSpec } from './renditions.js';
import { formatTimestamp } from './timestamp.js';

/** Longest safe filename, in bytes (ASCII, so also characters). */
export const MAX_FILENAME_BYTES = 200;
/** What an upload is called when nothing usable is left of its name. */
export const FALLBACK_FILENAME = 'upload';

const WINDOWS_DEVICE_NAMES = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\.|$)/i;

/**
 * Like werkzeug's secure_filename: ASCII-folded, no separators, no `..`, no control chars, bounded, never empty.
 *
 * Steps: NFKD-normalise and drop every non-ASCII code point (accents fold: `é` → `e`; bidi overrides such as
 * U+202E and other invisible characters disappear), turn path separators and whitespace runs into `_`, keep only
 * `[A-Za-z0-9_.-]`, collapse runs of dots (no `..`), trim dots, underscores and dashes from both ends (no hidden
 * files, no `-option`), prefix Windows device names, then cut the stem so the whole name fits in
 * MAX_FILENAME_BYTES while keeping the extension. An empty result becomes FALLBACK_FILENAME.
 */
export function safeFilename(name: string): string {
  let s = name
    .normalize('NFKD')
    .replace(/[^\x20-\x7e]/g, '') // non-ASCII, control characters (incl. CR/LF, NUL, DEL)
    .replace(/[/\\]/g, ' ')
    .trim()
    .split(/\s+/)
    .join('_')
    .replace(/[^A-Za-z0-9_.-]/g, '')
    .replace(/\.{2,}/g, '.');
  // A stem that folds away entirely keeps its extension: `写真.jpg` → `upload.jpg` (werkzeug would give `jpg`).
  // A name that was a dot-file to begin with (`.bashrc`) is not a stem that folded away.
  if (/^\.[A-Za-z0-9]+$/.test(s) && !name.trim().startsWith('.')) s = `${FALLBACK_FILENAME}${s}`;
  s = s.replace(/^[._-]+|[._-]+$/g, '');
  if (WINDOWS_DEVICE_NAMES.test(s)) s = `_${s}`;
  if (s.length > MAX_FILENAME_BYTES) {
    const { stem, ext } = splitExtension(s);
    const keptExt = ext.length < MAX_FILENAME_BYTES / 2 ? ext : '';
    s = stem.slice(0, MAX_FILENAME_BYTES - keptExt.length).replace(/[._-]+$/, '') + keptExt;
  }
  return s.length > 0 ? s : FALLBACK_FILENAME;
}

/** `photo.jpg` → { stem: 'photo', ext: '.jpg' }; no dot (or only a leading one) → ext ''. */
function splitExtension(name: string): { stem: string; ext: string } {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? { stem: name.slice(0, dot), ext: name.slice(dot) } : { stem: name, ext: '' };
}

/**
 * `photo.jpg`, 1 → `photo-1.jpg`; `photo.jpg`, 'a1b2' → `photo-a1b2.jpg` (0 or '' return the name unchanged).
 * The suffix goes on the last path segment, which stays within MAX_FILENAME_BYTES: a long stem is cut to make
 * room for the suffix (the extension is kept).
 */
export function withCollisionSuffix(name: string, suffix: number | string): string {
  if (suffix === 0 || suffix === '') return name;
  const slash = name.lastIndexOf('/');
  const dir = name.slice(0, slash + 1);
  const { stem, ext } = splitExtension(name.slice(slash + 1));
  const tail = `-${suffix}${ext}`;
  const room = Math.max(1, MAX_FILENAME_BYTES - tail.length);
  const kept = stem.length > room ? stem.slice(0, room).replace(/[._-]+$/, '') || stem.slice(0, 1) : stem;
  return `${dir}${kept}${tail}`;
}

/** Where an upload is stored: `<YYYYMMDDTHHZ>/<safe filename>` (UTC hour of `at`). */
export function uploadObjectName(filename: string, at: Date): string {
  return `${formatTimestamp(at)}/${safeFilename(filename)}`;
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
 * (or another generation's) thumbnail. This is the name of the default rendition (`legacyName`); every other
 * rendition is named by renditionObjectName.
 *
 * Layout: `<prefix><YYYYMMDDTHHZ of created>/<full source name>.<generation>.<extension>`, e.g.
 * `thumbnails/20251203T15Z/20251203T15Z/photo.jpg.1733238000123456.jpg`. The full source name (its extension
 * included) plus the generation make it unique: reading from the right, the extension and the all-digit
 * generation contain no dot, so the rest is the source name. The folder comes from `created`, never from the
 * time of processing, so retries and duplicates in a later hour converge on the same object.
 * A prefix without a trailing `/` gets one.
 */
export function thumbnailObjectName(prefix: string, source: ThumbnailSource, extension: string): string {
  if (!/^[a-z0-9]+$/i.test(extension)) {
    throw new TypeError(
      `extension must be letters and digits without a dot, got ${JSON.stringify(extension)}`,
    );
  }
  return objectName(prefix, source, extension);
}

function objectName(prefix: string, source: ThumbnailSource, tail: string): string {
  if (!/^[0-9]+$/.test(source.generation)) {
    throw new TypeError(`generation must be a decimal integer, got ${JSON.stringify(source.generation)}`);
  }
  const folder = prefix.length === 0 || prefix.endsWith('/') ? prefix : `${prefix}/`;
  return `${folder}${formatTimestamp(source.created)}/${source.name}.${source.generation}.${tail}`;
}

/** Hex digits of SHA-256 of the canonical spec that go into a rendition's name. */
export const SPEC_HASH_LENGTH = 8;

/** The first SPEC_HASH_LENGTH hex digits of SHA-256 of a canonical spec: the spec's mark in a rendition's name. */
export function specHash(canonical: string): string {
  return createHash('sha256').update(canonical).digest('hex').slice(0, SPEC_HASH_LENGTH);
}

/**
 * Where one rendition of one source generation goes, given the source's format (predicted before decoding —
 * sniffFormat on the downloaded head, or formatOfContentType — and the same after decoding): one call per target.
 *
 * - The default rendition (`spec.legacyName`: `thumb:<THUMBNAIL_SIZE>x<THUMBNAIL_SIZE>`, nothing else) keeps the
 *   thumbnail name of old, whatever THUMBNAIL_SIZE is: `<prefix><ts>/<source name>.<generation>.<ext>`.
 * - Every other rendition: `<prefix><ts>/<source name>.<generation>.<rendition>-<hash>.<ext>`, `<hash>` being
 *   specHash(canonicalSpec(spec, sourceFormat)), e.g.
 *   `thumbnails/20251203T15Z/20251203T15Z/photo.jpg.1733238000123456.card-1f0e3dad.webp`. A changed spec gets a
 *   new name (unless its canonical form is unchanged, i.e. it makes the same thing); an old object is never
 *   reused for a new spec.
 *
 * `<ext>` is the output format's extension (outputFormat). No two (source name, generation, rendition, canonical
 * spec, extension) give the same name, and none gives another source's: read from the right, the extension has
 * no dot; the segment before it is either all digits (a generation: the default rendition) or
 * `<rendition>-<hash>`, which always contains a letter (a rendition name starts with one) — parseRenditionObjectName
 * undoes it.
 */
export function renditionObjectName(
  prefix: string,
  source: ThumbnailSource,
  spec: RenditionSpec,
  sourceFormat: ImageFormat,
): string {
  const extension = EXTENSIONS[outputFormat(spec, sourceFormat)];
  if (spec.legacyName) return objectName(prefix, source, extension);
  if (!RENDITION_NAME.test(spec.name)) {
    throw new TypeError(
      `a rendition name must match ${RENDITION_NAME.source}, got ${JSON.stringify(spec.name)}`,
    );
  }
  return objectName(
    prefix,
    source,
    `${spec.name}-${specHash(canonicalSpec(spec, sourceFormat))}.${extension}`,
  );
}

const NAME_LAYOUT =
  /^([0-9]{8}T[0-9]{2}Z)\/(.+)\.([0-9]+)\.(?:([a-z][a-z0-9-]{0,31})-([0-9a-f]{8})\.)?([A-Za-z0-9]+)$/s;

export interface ParsedRenditionName {
  /** `YYYYMMDDTHHZ` of the source's creation. */
  folder: string;
  /** The full source object name. */
  source: string;
  generation: string;
  /** Undefined for the default rendition's (legacy thumbnail) name. */
  rendition?: string;
  /** specHash of its canonical spec; undefined for the default rendition. */
  specHash?: string;
  /** Without the dot. */
  extension: string;
}

/** Reads a name made by renditionObjectName or thumbnailObjectName back into its parts; undefined for any other. */
export function parseRenditionObjectName(name: string, prefix: string): ParsedRenditionName | undefined {
  const folder = prefix.length === 0 || prefix.endsWith('/') ? prefix : `${prefix}/`;
  if (!name.startsWith(folder)) return undefined;
  const m = NAME_LAYOUT.exec(name.slice(folder.length));
  if (!m) return undefined;
  const [, ts = '', source = '', generation = '', rendition, hash, extension = ''] = m;
  return {
    folder: ts,
    source,
    generation,
    ...(rendition !== undefined ? { rendition, specHash: hash } : {}),
    extension,
  };
}

/** True for objects thumbnailer writes itself (under the prefix): never processed. */
export function isUnderPrefix(name: string, prefix: string): boolean {
  return prefix.length > 0 && name.startsWith(prefix);
}
