/**
 * GET /: the upload page with the gallery its GALLERY mode allows. A gallery that cannot be read (storage down)
 * leaves the form working.
 */
import { traceFields } from '@thumbnailer/core';
import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import type { WebConfig } from './config.js';
import { takeFlash } from './flash.js';
import type { GalleryItem } from './thumbnails.js';
import type { Visibility } from './visibility.js';
import { renderUploadPage } from './views.js';

export function uploadPage(config: WebConfig, logger: Logger, visibility: Visibility): RequestHandler {
  return async (req: Request, res: Response) => {
    const flash = takeFlash(req, res);
    let gallery: GalleryItem[] = [];
    let galleryError: string | undefined;
    try {
      gallery = await visibility.gallery(req);
    } catch (err) {
      logger.warn({ err, ...traceFields(req.headers, config.projectId) }, 'gallery unavailable');
      galleryError = 'Uploads cannot be listed right now.';
    }
    res.set('Cache-Control', 'no-store');
    res
      .status(200)
      .type('html')
      .send(
        renderUploadPage({
          maxUploadBytes: config.maxUploadBytes,
          renditions: config.renditions,
          mode: visibility.mode,
          flash,
          gallery,
          galleryError,
        }),
      );
  };
}
