/**
 * Finding the thumbnails the worker made, without a database: a source generation's thumbnail name is
 * deterministic (core's thumbnailObjectName), so one metadata read says whether it exists, and once it does it
 * stays (it is generation-pinned and written create-only), so a found one is remembered.
 */
import {
  CONTENT_TYPES,
  EXTENSIONS,
  thumbnailFormatFor,
  thumbnailObjectName,
  type ImageFormat,
  type StorageAdapter,
  type StoredObject,
} from '@thumbnailer/core';

const FORMAT_BY_CONTENT_TYPE = new Map(
  Object.entries(CONTENT_TYPES).map(([format, type]) => [type, format as ImageFormat]),
);

/** Raster content types the web app is willing to serve back (never HTML, SVG or anything scriptable). */
export function isServableImageType(contentType: string | undefined): contentType is string {
  return contentType !== undefined && FORMAT_BY_CONTENT_TYPE.has(contentType);
}

/** An upload (one source generation) as the page shows it. */
export interface SourceInfo {
  name: string;
  generation: string;
  created: Date;
  contentType: string;
  size: number;
}

export interface GalleryItem extends SourceInfo {
  /** Object name of the thumbnail, once the worker has made it. */
  thumbnail: string | undefined;
}

export function sourceInfo(object: StoredObject): SourceInfo {
  return {
    name: object.name,
    generation: object.generation,
    created: object.timeCreated ?? new Date(0),
    contentType: object.contentType ?? 'application/octet-stream',
    size: object.size,
  };
}

/** Where the worker writes (or wrote) the thumbnail of this source generation. */
export function expectedThumbnailName(prefix: string, source: Omit<SourceInfo, 'size'>): string {
  const format = FORMAT_BY_CONTENT_TYPE.get(source.contentType) ?? 'png';
  const extension = EXTENSIONS[thumbnailFormatFor(format)];
  return thumbnailObjectName(
    prefix,
    { name: source.name, generation: source.generation, created: source.created },
    extension,
  );
}

/** `/thumbnail/<object name, each segment URL-encoded>`: the web app's own URL for a thumbnail object. */
export function thumbnailUrl(objectName: string): string {
  return `/thumbnail/${objectName.split('/').map(encodeURIComponent).join('/')}`;
}

/** `gs://bucket/name` (a thumbnail's `thumbnailOf`) → its object name in `bucket`, else undefined. */
export function sourceNameOf(uri: string | undefined, bucket: string): string | undefined {
  const prefix = `gs://${bucket}/`;
  return uri?.startsWith(prefix) ? uri.slice(prefix.length) : undefined;
}

const REMEMBERED = 4096;

export class ThumbnailFinder {
  readonly #found = new Set<string>();

  constructor(
    private readonly storage: StorageAdapter,
    private readonly prefix: string,
  ) {}

  /** The thumbnail's object name if it is known to exist; no request. */
  known(source: SourceInfo): string | undefined {
    const name = expectedThumbnailName(this.prefix, source);
    return this.#found.has(name) ? name : undefined;
  }

  /** The thumbnail's object name once the worker has written it, else undefined: at most one metadata read. */
  async find(source: SourceInfo): Promise<string | undefined> {
    const name = expectedThumbnailName(this.prefix, source);
    if (this.#found.has(name)) return name;
    if ((await this.storage.stat(name)) === undefined) return undefined;
    if (this.#found.size >= REMEMBERED) this.#found.delete(this.#found.values().next().value as string);
    this.#found.add(name);
    return name;
  }

  /** Each source with its thumbnail: one metadata read per source whose thumbnail is not known yet, at once. */
  async withThumbnails(sources: readonly SourceInfo[]): Promise<GalleryItem[]> {
    return Promise.all(sources.map(async (source) => ({ ...source, thumbnail: await this.find(source) })));
  }
}
