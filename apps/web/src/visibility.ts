/**
 * Who sees which upload (`GALLERY`), in one place:
 * - `session`: the page lists this browser's uploads (session.ts); `/api/thumbnail` and `/thumbnail/…` answer only
 *   for them (a thumbnail's `thumbnailOf` + `sourceGeneration` metadata says whose it is) and 404 otherwise.
 * - `public`: the page lists the bucket's recent uploads (public-gallery.ts); every thumbnail is served.
 * - `off`: the page lists none; thumbnails are served as in `session`, so an uploader still sees their own.
 */
import type { Clock, StorageAdapter, StoredObject } from '@thumbnailer/core';
import type { Request, Response } from 'express';
import type { GalleryMode } from './config.js';
import { PublicGallery } from './public-gallery.js';
import { rememberUpload, SESSION_UPLOADS, sessionUpload, sessionUploads } from './session.js';
import {
  sourceInfo,
  sourceNameOf,
  type GalleryItem,
  type SourceInfo,
  type RenditionFinder,
} from './thumbnails.js';

export interface Visibility {
  readonly mode: GalleryMode;
  /** What the page lists, newest first, with renditions where made. */
  gallery(req: Request): Promise<GalleryItem[]>;
  /** The upload this request may see, or undefined. */
  source(req: Request, name: string, generation: string): Promise<SourceInfo | undefined>;
  /** May this request be served this rendition object? */
  mayServe(req: Request, thumbnail: StoredObject): boolean;
  /** Called once an upload is stored. */
  stored(req: Request, res: Response, upload: SourceInfo): void;
}

export function createVisibility(
  mode: GalleryMode,
  storage: StorageAdapter,
  finder: RenditionFinder,
  clock: Clock,
): Visibility {
  const ownedBySession = (req: Request, thumbnail: StoredObject): boolean => {
    const name = sourceNameOf(thumbnail.metadata.thumbnailOf, storage.bucketName);
    const generation = thumbnail.metadata.sourceGeneration;
    return name !== undefined && generation !== undefined && !!sessionUpload(req, name, generation);
  };
  if (mode === 'public') {
    const recent = new PublicGallery(storage, finder, clock, SESSION_UPLOADS);
    return {
      mode,
      gallery: () => recent.items(),
      source: async (req, name, generation) => {
        const known = sessionUpload(req, name, generation);
        if (known) return known;
        const object = await storage.stat(name, generation);
        return object ? sourceInfo(object) : undefined;
      },
      mayServe: () => true,
      stored: (req, res, upload) => {
        rememberUpload(req, res, upload);
        recent.remember(upload);
      },
    };
  }
  return {
    mode,
    gallery: async (req) => (mode === 'off' ? [] : finder.withRenditions(sessionUploads(req))),
    source: (req, name, generation) => Promise.resolve(sessionUpload(req, name, generation)),
    mayServe: ownedBySession,
    stored: rememberUpload,
  };
}
