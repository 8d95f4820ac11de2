/**
 * The worker's renditions, served from the private bucket to those the GALLERY mode lets see them:
 * - GET /api/thumbnail?name=&generation= — polled by the page: `pending` until the first rendition exists, then
 *   `ready` with every rendition there (name, URL, size, type, bytes), the ThumbHash and dominant colour, whether
 *   the set is complete, and the `<picture>` the page builds from them (picture.ts). What a poll costs in storage
 *   requests is the finder's (thumbnails.ts): one metadata read while pending, the rest once.
 * - GET /thumbnail/<object> — the bytes of any rendition: only under THUMBNAIL_PREFIX, only raster content types,
 *   `nosniff`. The object is generation-pinned and never changes, so it carries a strong ETag (its generation),
 *   answers a matching If-None-Match with 304, and may be cached for a year (privately: it is someone's upload).
 */
import { isUnderPrefix, storageErrorStatus, type StorageAdapter } from '@thumbnailer/core';
import express, { type Request, type Response, type Router } from 'express';
import type { Logger } from 'pino';
import type { WebConfig } from './config.js';
import { UploadError } from './errors.js';
import { pictureOf } from './picture.js';
import { isServableImageType, type RenditionFinder, type RenditionSet } from './thumbnails.js';
import type { Visibility } from './visibility.js';

export interface ThumbnailRouteDeps {
  config: WebConfig;
  logger: Logger;
  storage: StorageAdapter;
  finder: RenditionFinder;
  visibility: Visibility;
}

const noSuchUpload = (): UploadError => new UploadError('not_found', 'No such upload.');
const noSuchThumbnail = (): UploadError => new UploadError('not_found', 'No such thumbnail.');

/**
 * If-None-Match (RFC 9110 §13.1.2, weak comparison) against our ETag. Not `req.fresh`: that answers "stale" to any
 * request with `Cache-Control: no-cache`, which fetch() adds to conditional requests; the origin may still say 304.
 */
export function noneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const opaque = (tag: string): string => tag.trim().replace(/^W\//, '');
  return header.trim() === '*' || header.split(',').some((tag) => opaque(tag) === opaque(etag));
}

/** The `ready` answer: `thumbnail` (the first rendition's URL, as before renditions) and the whole set. */
export function readyBody(name: string, generation: string, set: RenditionSet) {
  return {
    status: 'ready',
    name,
    generation,
    thumbnail: set.renditions[0]?.url,
    complete: set.complete,
    renditions: set.renditions.map(({ rendition, name, url, width, height, contentType, bytes }) => ({
      rendition,
      name,
      url,
      width: width ?? null,
      height: height ?? null,
      contentType,
      bytes,
    })),
    thumbhash: set.thumbhash ?? null,
    dominantColor: set.dominantColor ?? null,
    picture: pictureOf(set),
  };
}

export function thumbnailRoutes(deps: ThumbnailRouteDeps): Router {
  const { config, storage, visibility } = deps;
  const router = express.Router();

  router.get('/api/thumbnail', async (req: Request, res: Response) => {
    const name = typeof req.query.name === 'string' ? req.query.name : '';
    const generation = typeof req.query.generation === 'string' ? req.query.generation : '';
    const plausible =
      name.length > 0 &&
      name.length <= 1024 &&
      !isUnderPrefix(name, config.thumbnailPrefix) &&
      /^\d{1,20}$/.test(generation);
    const source = plausible ? await visibility.source(req, name, generation) : undefined;
    if (!source) throw noSuchUpload();
    const set = await deps.finder.find(source);
    res.set('Cache-Control', 'no-store');
    res.json(set ? readyBody(name, generation, set) : { status: 'pending', name, generation });
  });

  router.get('/thumbnail/*name', async (req: Request, res: Response) => {
    const segments = (req.params as { name?: string[] }).name ?? [];
    const name = segments.join('/');
    if (
      !isUnderPrefix(name, config.thumbnailPrefix) ||
      segments.some((s) => s === '..' || s === '.' || s === '')
    ) {
      throw noSuchThumbnail();
    }
    const object = await storage.stat(name);
    if (!object || !isServableImageType(object.contentType) || !visibility.mayServe(req, object)) {
      throw noSuchThumbnail();
    }
    res.status(200).set({
      'Content-Type': object.contentType,
      'Cache-Control': 'private, max-age=31536000, immutable',
      ETag: `"${object.generation}"`,
      'Content-Disposition': 'inline',
      'X-Content-Type-Options': 'nosniff',
    });
    if (noneMatch(req.get('If-None-Match'), `"${object.generation}"`)) {
      res.status(304).end();
      return;
    }
    res.set('Content-Length', String(object.size));
    await new Promise<void>((resolve, reject) => {
      const stream = storage.openReadStream(name, object.generation);
      stream.once('error', (err) => {
        if (res.headersSent) {
          deps.logger.warn({ err, object: name }, 'thumbnail stream failed');
          res.destroy();
          resolve();
          return;
        }
        for (const header of ['Content-Length', 'Content-Disposition', 'Cache-Control', 'ETag'])
          res.removeHeader(header);
        reject(storageErrorStatus(err) === 404 ? noSuchThumbnail() : err);
      });
      res.once('close', () => {
        stream.destroy();
        resolve();
      });
      stream.pipe(res);
    });
  });

  return router;
}
