/**
 * Finding thumbnails the worker made, without a database: a source generation's thumbnail name is
 * deterministic (core's thumbnailObjectName), so one metadata read or one bounded listing says whether it exists.
 */
import type { Bucket, File } from '@google-cloud/storage';
import {
  CONTENT_TYPES,
  EXTENSIONS,
  formatTimestamp,
  thumbnailFormatFor,
  thumbnailObjectName,
  type ImageFormat,
} from '@thumbnailer/core';
import { asStorageError, isNotFound } from './storage.js';

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

/** Reads a source object's metadata (pinned to a generation); undefined when it does not exist. */
export async function readSource(
  bucket: Bucket,
  name: string,
  generation: string,
): Promise<SourceInfo | undefined> {
  try {
    const [metadata] = await bucket.file(name, { generation }).getMetadata();
    return {
      name,
      generation: String(metadata.generation ?? generation),
      created: new Date(metadata.timeCreated ?? 0),
      contentType: metadata.contentType ?? 'application/octet-stream',
    };
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw asStorageError(err);
  }
}

/** The thumbnail object name when the worker has written it, else undefined. */
export async function findThumbnail(
  bucket: Bucket,
  prefix: string,
  source: SourceInfo,
): Promise<string | undefined> {
  const name = expectedThumbnailName(prefix, source);
  try {
    const [exists] = await bucket.file(name).exists();
    return exists ? name : undefined;
  } catch (err) {
    throw asStorageError(err);
  }
}

export interface GalleryItem {
  name: string;
  generation: string;
  created: Date;
  contentType: string;
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
}

async function listFolder(bucket: Bucket, folder: string, maxResults: number): Promise<File[]> {
  try {
    const [files] = await bucket.getFiles({ prefix: folder, maxResults, autoPaginate: false });
    return files;
  } catch (err) {
    throw asStorageError(err);
  }
}

/**
 * The most recent uploads with their thumbnails. Bounded: walks back at most `hours` hour folders
 * (`YYYYMMDDTHHZ/`), lists at most a page per folder, stops once `limit` uploads are found, then lists only
 * the thumbnail folders those uploads map to.
 */
export async function recentUploads(bucket: Bucket, options: GalleryOptions): Promise<GalleryItem[]> {
  const limit = options.limit ?? 12;
  const hours = options.hours ?? 24;
  const items: GalleryItem[] = [];
  for (let h = 0; h < hours && items.length < limit; h += 1) {
    const folder = `${formatTimestamp(new Date(options.now.getTime() - h * 3_600_000))}/`;
    const files = await listFolder(bucket, folder, 200);
    const folderItems = files
      .filter(
        (file) => isServableImageType(file.metadata.contentType) && !file.metadata.metadata?.thumbnailOf,
      )
      .map((file) => ({
        name: file.name,
        generation: String(file.metadata.generation ?? ''),
        created: new Date(file.metadata.timeCreated ?? 0),
        contentType: file.metadata.contentType ?? '',
        size: Number(file.metadata.size ?? 0),
        thumbnail: undefined,
      }))
      .sort((a, b) => b.created.getTime() - a.created.getTime());
    items.push(...folderItems.slice(0, limit - items.length));
  }

  // One listing per thumbnail folder involved, instead of one request per upload.
  const expected = new Map(items.map((item) => [item, expectedThumbnailName(options.prefix, item)]));
  const folders = new Set(items.map((item) => `${options.prefix}${formatTimestamp(item.created)}/`));
  const present = new Set<string>();
  for (const folder of folders) {
    for (const file of await listFolder(bucket, folder, 1000)) present.add(file.name);
  }
  for (const item of items) {
    const name = expected.get(item);
    if (name === undefined) continue;
    if (present.has(name)) item.thumbnail = name;
    else if (![...folders].some((folder) => name.startsWith(folder))) {
      item.thumbnail = await findThumbnail(bucket, options.prefix, item);
    }
  }
  return items;
}
