// The reference for the page-view figures: the gallery as apps/web built it before issue 12 (commit f6d5266,
// apps/web/src/thumbnails.ts `recentUploads`), kept here verbatim in method so that both run in one bench.
// Every page view walks back hour folders, reading up to 500 objects of each, then lists each thumbnail folder.
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

interface Item {
  name: string;
  generation: string;
  created: Date;
  contentType: string;
  thumbnail: string | undefined;
}

function expected(prefix: string, item: Item): string {
  const format = FORMAT_BY_CONTENT_TYPE.get(item.contentType) ?? 'png';
  return thumbnailObjectName(prefix, item, EXTENSIONS[thumbnailFormatFor(format)]);
}

async function take(storage: StorageAdapter, prefix: string, max: number): Promise<StoredObject[]> {
  const objects: StoredObject[] = [];
  for await (const object of storage.list(prefix, { pageSize: Math.min(max, 1000) })) {
    objects.push(object);
    if (objects.length >= max) break;
  }
  return objects;
}

export async function referenceRecentUploads(
  storage: StorageAdapter,
  prefix: string,
  now: Date,
): Promise<Item[]> {
  const [limit, hours, perFolder] = [12, 24, 500];
  const items: Item[] = [];
  for (let h = 0; h < hours && items.length < limit; h += 1) {
    const folder = `${formatTimestamp(new Date(now.getTime() - h * 3_600_000))}/`;
    const uploads = (await take(storage, folder, perFolder))
      .filter(
        (o) =>
          o.contentType !== undefined && FORMAT_BY_CONTENT_TYPE.has(o.contentType) && !o.metadata.thumbnailOf,
      )
      .map((o) => ({
        name: o.name,
        generation: o.generation,
        created: o.timeCreated ?? new Date(0),
        contentType: o.contentType ?? '',
        thumbnail: undefined,
      }))
      .sort((a, b) => b.created.getTime() - a.created.getTime());
    items.push(...uploads.slice(0, limit - items.length));
  }
  const folders = new Set(items.map((item) => `${prefix}${formatTimestamp(item.created)}/`));
  const present = new Set<string>();
  for (const folder of folders)
    for (const object of await take(storage, folder, 5000)) present.add(object.name);
  for (const item of items) {
    const name = expected(prefix, item);
    if (present.has(name)) item.thumbnail = name;
  }
  return items;
}
