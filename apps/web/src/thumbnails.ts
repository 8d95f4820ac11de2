/**
 * Finding thumbnails the worker made, without a database: a source generation's thumbnail name is
 * deterministic (core's thumbnailObjectName), so one metadata read or one bounded listing says whether it exists.
 */
import {
  CONTENT_TYPES,
  EXTENSIONS,
  formatTimestamp,
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

export interface SourceInfo {
  name: string;
  generation: string;
  created: Date;
  contentType: string;
}

/** Where the worker writes (or wrote) the thumbnail of this source generation. */
export function expectedThumbnailName(prefix: string, source: SourceInfo): string {
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

function sourceInfo(object: StoredObject): SourceInfo {
  return {
    name: object.name,
    generation: object.generation,
    created: object.timeCreated ?? new Date(0),
    contentType: object.contentType ?? 'application/octet-stream',
  };
}

/** A source object's metadata, pinned to a generation; undefined when it does not exist. */
export async function readSource(
  storage: StorageAdapter,
  name: string,
  generation: string,
): Promise<SourceInfo | undefined> {
  const object = await storage.stat(name, generation);
  return object ? sourceInfo(object) : undefined;
}

/** The thumbnail object name when the worker has written it, else undefined. */
export async function findThumbnail(
  storage: StorageAdapter,
  prefix: string,
  source: SourceInfo,
): Promise<string | undefined> {
  const name = expectedThumbnailName(prefix, source);
  return (await storage.stat(name)) ? name : undefined;
}

export interface GalleryItem extends SourceInfo {
  size: number;
  /** Object name of the thumbnail, once the worker has made it. */
  thumbnail: string | undefined;
}

export interface GalleryOptions {
  prefix: string;
  now: Date;
  /** Newest uploads shown. */
  limit?: number;
  /** Hour folders looked at, newest first. */
  hours?: number;
  /** Objects read per folder at most. */
  perFolder?: number;
}

async function take(storage: StorageAdapter, prefix: string, max: number): Promise<StoredObject[]> {
  const objects: StoredObject[] = [];
  for await (const object of storage.list(prefix, { pageSize: Math.min(max, 1000) })) {
    objects.push(object);
    if (objects.length >= max) break;
  }
  return objects;
}

/**
 * The most recent uploads with their thumbnails. Bounded: walks back at most `hours` hour folders
 * (`YYYYMMDDTHHZ/`), reads at most `perFolder` objects from each, stops once `limit` uploads are found, then
 * lists only the thumbnail folders those uploads map to.
 */
export async function recentUploads(
  storage: StorageAdapter,
  options: GalleryOptions,
): Promise<GalleryItem[]> {
  const limit = options.limit ?? 12;
  const hours = options.hours ?? 24;
  const perFolder = options.perFolder ?? 500;
  const items: GalleryItem[] = [];
  for (let h = 0; h < hours && items.length < limit; h += 1) {
    const folder = `${formatTimestamp(new Date(options.now.getTime() - h * 3_600_000))}/`;
    const uploads = (await take(storage, folder, perFolder))
      .filter((object) => isServableImageType(object.contentType) && !object.metadata.thumbnailOf)
      .map((object) => ({ ...sourceInfo(object), size: object.size, thumbnail: undefined }))
      .sort((a, b) => b.created.getTime() - a.created.getTime());
    items.push(...uploads.slice(0, limit - items.length));
  }

  // One listing per thumbnail folder involved, instead of one request per upload.
  const folders = new Set(items.map((item) => `${options.prefix}${formatTimestamp(item.created)}/`));
  const present = new Set<string>();
  for (const folder of folders) {
    for (const object of await take(storage, folder, 5000)) present.add(object.name);
  }
  for (const item of items) {
    const name = expectedThumbnailName(options.prefix, item);
    if (present.has(name)) item.thumbnail = name;
    else if (![...folders].some((folder) => name.startsWith(folder))) {
      item.thumbnail = await findThumbnail(storage, options.prefix, item);
    }
  }
  return items;
}
