/**
 * `GALLERY=public`: the bucket's most recent uploads, newest first, at a bounded cost per page view.
 *
 * Cloud Storage lists names in name order only, so the newest uploads of an hour can be anywhere in its folder.
 * The design:
 * - One snapshot per instance, refreshed at most every SNAPSHOT_TTL_MS by one page view (the others share it):
 *   the current hour folder is listed in full (pages of 1000, only the fields used), sorted by creation time; only
 *   when that gives fewer than the page shows are older hour folders looked at, found by one delimiter listing of
 *   the last day's folder names. Past hour folders are kept for PAST_FOLDER_TTL_MS (uploads land in the current one).
 * - This instance's own uploads are added at once, so an uploader sees theirs on the next page view.
 *
 * The trade-off: uploads made on other instances appear up to SNAPSHOT_TTL_MS late, and a refresh in an hour with
 * N uploads costs ⌈N/1000⌉ list requests (at most MAX_PAGES; beyond that the newest of the first MAX_PAGES pages
 * are shown, plus this instance's own). Page views in between cost no listing at all.
 */
import { performance } from 'node:perf_hooks';
import type { GetFilesOptions } from '@google-cloud/storage';
import { formatTimestamp, rethrowStorageError, type Clock, type StorageAdapter } from '@thumbnailer/core';
import {
  isServableImageType,
  type GalleryItem,
  type SourceInfo,
  type RenditionFinder,
} from './thumbnails.js';

export const SNAPSHOT_TTL_MS = 10_000;
export const PAST_FOLDER_TTL_MS = 10 * 60_000;
export const MAX_PAGES = 10;
const HOURS = 24;
/** The JSON API `fields` of a listing: only what the gallery shows. */
const FIELDS = 'items(name,generation,timeCreated,contentType,size),nextPageToken,prefixes';

/** A listing page with FIELDS only. */
interface Listing {
  items?: { name: string; generation: string; timeCreated: string; contentType?: string; size: string }[];
  nextPageToken?: string;
  prefixes?: string[];
}

const newestFirst = (a: SourceInfo, b: SourceInfo): number => b.created.getTime() - a.created.getTime();

export class PublicGallery {
  #snapshot: { at: number; items: GalleryItem[] } | undefined;
  #refreshing: Promise<GalleryItem[]> | undefined;
  readonly #past = new Map<string, { at: number; uploads: SourceInfo[] }>();
  #own: SourceInfo[] = [];

  constructor(
    private readonly storage: StorageAdapter,
    private readonly finder: RenditionFinder,
    private readonly clock: Clock,
    private readonly limit: number,
  ) {}

  /** An upload this instance stored: shown from the next page view on. */
  remember(upload: SourceInfo): void {
    this.#own = [upload, ...this.#own].slice(0, this.limit);
  }

  /** The newest uploads with their renditions. */
  async items(): Promise<GalleryItem[]> {
    const fresh = this.#snapshot && performance.now() - this.#snapshot.at < SNAPSHOT_TTL_MS;
    const listed = fresh ? this.#snapshot!.items : await (this.#refreshing ??= this.#refresh());
    const seen = new Set(listed.map((item) => `${item.name}#${item.generation}`));
    const own = this.#own
      .filter((upload) => !seen.has(`${upload.name}#${upload.generation}`))
      .map((upload) => ({ ...upload, renditions: this.finder.known(upload) }));
    return [...own, ...listed].sort(newestFirst).slice(0, this.limit);
  }

  async #refresh(): Promise<GalleryItem[]> {
    try {
      const now = this.clock();
      const current = `${formatTimestamp(now)}/`;
      let uploads = (await this.#listFolder(current)).sort(newestFirst);
      if (uploads.length < this.limit) {
        for (const folder of await this.#pastFolders(now, current)) {
          uploads = uploads.concat(await this.#pastFolder(folder));
          if (uploads.length >= this.limit) break;
        }
      }
      const items = await this.finder.withRenditions(uploads.slice(0, this.limit));
      this.#snapshot = { at: performance.now(), items };
      return items;
    } finally {
      this.#refreshing = undefined;
    }
  }

  /** Hour folders of the last day that hold anything, newest first, the current one excluded: one listing. */
  async #pastFolders(now: Date, current: string): Promise<string[]> {
    const { prefixes = [] } = await this.#list({
      delimiter: '/',
      startOffset: `${formatTimestamp(new Date(now.getTime() - (HOURS - 1) * 3_600_000))}/`,
      endOffset: current,
    });
    return prefixes
      .filter((prefix) => /^\d{8}T\d{2}Z\/$/.test(prefix))
      .sort()
      .reverse();
  }

  async #pastFolder(folder: string): Promise<SourceInfo[]> {
    const cached = this.#past.get(folder);
    if (cached && performance.now() - cached.at < PAST_FOLDER_TTL_MS) return cached.uploads;
    const uploads = (await this.#listFolder(folder)).sort(newestFirst);
    this.#past.set(folder, { at: performance.now(), uploads });
    for (const old of [...this.#past.keys()].sort().slice(0, -HOURS)) this.#past.delete(old);
    return uploads;
  }

  /** Every servable upload in one hour folder, MAX_PAGES pages at most. */
  async #listFolder(folder: string): Promise<SourceInfo[]> {
    const uploads: SourceInfo[] = [];
    let pageToken: string | undefined;
    for (let page = 0; page < MAX_PAGES; page += 1) {
      const { items = [], nextPageToken } = await this.#list({ prefix: folder, maxResults: 1000, pageToken });
      for (const item of items) {
        if (!isServableImageType(item.contentType)) continue;
        uploads.push({
          name: item.name,
          generation: item.generation,
          created: new Date(item.timeCreated),
          contentType: item.contentType,
          size: Number(item.size),
        });
      }
      pageToken = nextPageToken;
      if (!pageToken) break;
    }
    return uploads;
  }

  /** One page of a listing asking only for FIELDS (core's adapter lists whole objects), as the JSON API sent it. */
  async #list(query: GetFilesOptions): Promise<Listing> {
    try {
      const [, , response] = await this.storage.bucket.getFiles({
        ...query,
        autoPaginate: false,
        fields: FIELDS,
      });
      return response ?? {};
    } catch (err) {
      rethrowStorageError(err, `listing of ${query.prefix ?? 'hour folders'}`);
    }
  }
}
