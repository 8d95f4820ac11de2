/**
 * The upload frontend as an Express app. createApp never listens; main.ts wires and listens.
 */
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import {
  isUnderPrefix,
  probeImage,
  systemClock,
  TransientError,
  type Clock,
  type ImageLimits,
  type ProbeResult,
  type StorageAdapter,
  type StoredObject,
  traceFields,
} from '@thumbnailer/core';
import cookieParser from 'cookie-parser';
import express, { type NextFunction, type Request, type Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import multer from 'multer';
import pLimit from 'p-limit';
import type { Logger } from 'pino';
import type { WebConfig } from './config.js';
import { fromMulterError, toHttpProblem, UploadError } from './errors.js';
import { setFlash, takeFlash } from './flash.js';
import { printable, storeUpload } from './uploads.js';
import {
  findThumbnail,
  isServableImageType,
  readSource,
  recentUploads,
  thumbnailUrl,
  type GalleryItem,
} from './thumbnails.js';
import { renderErrorPage, renderNotConfiguredPage, renderUploadPage } from './views.js';

export interface AppDeps {
  config: WebConfig;
  logger: Logger;
  /** Core's adapter over the UPLOAD_BUCKET bucket; undefined when UPLOAD_BUCKET is unset (503 mode). */
  storage: StorageAdapter | undefined;
  /** Signs the flash cookie. */
  sessionSecret: string;
  /** Fixes the upload folder hour in tests. */
  clock?: Clock;
  imageLimits?: Partial<ImageLimits>;
}

const STATIC_DIR = fileURLToPath(new URL('../static/', import.meta.url));

function wantsJson(req: Request): boolean {
  return req.accepts(['html', 'json']) === 'json';
}

function uploadedBody(stored: StoredObject, probe: ProbeResult) {
  return {
    status: 'uploaded',
    bucket: stored.bucket,
    name: stored.name,
    uri: `gs://${stored.bucket}/${stored.name}`,
    generation: stored.generation,
    contentType: stored.contentType ?? probe.contentType,
    size: stored.size,
    width: probe.width,
    height: probe.height,
    thumbnailStatus: `/api/thumbnail?${new URLSearchParams({ name: stored.name, generation: stored.generation }).toString()}`,
  };
}

export function createApp(deps: AppDeps): express.Express {
  const { config, logger, storage } = deps;
  const clock = deps.clock ?? systemClock;
  const app = express();
  app.set('trust proxy', 1); // Cloud Run: one proxy hop in front of us
  app.disable('x-powered-by');

  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          baseUri: ["'none'"],
          connectSrc: ["'self'"],
          fontSrc: ["'self'"],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
          imgSrc: ["'self'", 'data:', 'blob:'],
          objectSrc: ["'none'"],
          scriptSrc: ["'self'"],
          scriptSrcAttr: ["'none'"],
          styleSrc: ["'self'"],
        },
      },
      crossOriginEmbedderPolicy: false,
      frameguard: { action: 'deny' },
    }),
  );
  app.use(cookieParser(deps.sessionSecret));
  app.use('/static', express.static(STATIC_DIR, { index: false, maxAge: '1h', fallthrough: false }));

  app.get('/healthz', (_req, res) => {
    res.status(200).type('text/plain').send('ok');
  });

  app.get('/', async (req, res) => {
    const flash = takeFlash(req, res);
    res.set('Cache-Control', 'no-store');
    if (!storage) {
      res.status(503).type('html').send(renderNotConfiguredPage(flash));
      return;
    }
    let gallery: GalleryItem[] = [];
    let galleryError: string | undefined;
    try {
      gallery = await recentUploads(storage, { prefix: config.thumbnailPrefix, now: clock(), limit: 12 });
    } catch (err) {
      logger.warn({ err, ...traceFields(req.headers, config.projectId) }, 'gallery unavailable');
      galleryError = 'Recent uploads cannot be listed right now.';
    }
    res
      .status(200)
      .type('html')
      .send(renderUploadPage({ maxUploadBytes: config.maxUploadBytes, flash, gallery, galleryError }));
  });

  const limiter = rateLimit({
    windowMs: 60_000,
    limit: config.rateLimitPerMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    handler: (_req, _res, next) => {
      next(
        new UploadError(
          'rate_limited',
          'Too many uploads from your address. Please wait a minute and try again.',
        ),
      );
    },
  });

  const requireBucket = (_req: Request, _res: Response, next: NextFunction) => {
    next(
      storage
        ? undefined
        : new UploadError('not_configured', 'UPLOAD_BUCKET is not set: uploads are disabled.'),
    );
  };

  const parseUpload = multer({
    storage: multer.memoryStorage(), // one Buffer per upload, handed to probe and save, dropped with the request
    limits: {
      fileSize: config.maxUploadBytes,
      files: 1,
      fields: 5,
      parts: 6,
      fieldNameSize: 100,
      fieldSize: 1024,
      headerPairs: 100,
    },
  }).single('file');
  const multipart = (req: Request, res: Response, next: NextFunction) => {
    parseUpload(req, res, (err?: unknown) => {
      next(err === undefined || err === null ? undefined : fromMulterError(err, config.maxUploadBytes));
    });
  };

  // Memory is bounded by uploads in flight, not by requests: a request waits here for a slot before multer
  // reads its body (unread bodies stay in the kernel's socket buffers), and frees the slot when it ends.
  const uploadSlots = pLimit(config.maxConcurrentUploads);
  const uploadSlot = (_req: Request, res: Response, next: NextFunction) => {
    void uploadSlots(
      () =>
        new Promise<void>((release) => {
          res.once('close', release);
          next();
        }),
    );
  };

  const uploadStarted = (req: Request, _res: Response, next: NextFunction) => {
    logger.debug({ bytes: req.get('content-length') }, 'upload started');
    next();
  };

  app.post('/upload', limiter, requireBucket, uploadSlot, uploadStarted, multipart, async (req, res) => {
    const started = performance.now();
    const file = req.file;
    if (!file || file.size === 0) {
      throw new UploadError(
        'no_file',
        file
          ? 'The file is empty. Choose an image to upload.'
          : 'No file was sent. Choose an image to upload.',
      );
    }
    const probe = await probeImage(file.buffer, deps.imageLimits);
    const stored = await storeUpload(storage!, file.buffer, {
      originalName: file.originalname,
      probe,
      at: clock(),
    });
    logger.info(
      {
        event: 'upload_stored',
        bucket: stored.bucket,
        object: stored.name,
        generation: stored.generation,
        bytes: stored.size,
        format: probe.format,
        width: probe.width,
        height: probe.height,
        ms: Math.round(performance.now() - started),
        ...traceFields(req.headers, config.projectId),
      },
      'upload stored',
    );
    if (wantsJson(req)) {
      res.status(201).json(uploadedBody(stored, probe));
      return;
    }
    setFlash(req, res, {
      kind: 'success',
      message: `Uploaded ${printable(file.originalname, 120) || 'your image'} as ${stored.name} (${probe.width}×${probe.height} ${probe.format.toUpperCase()}).`,
      object: { name: stored.name, generation: stored.generation },
    });
    res.redirect(303, '/');
  });

  /** Polled by the page: has the worker made this upload's thumbnail yet? */
  app.get('/api/thumbnail', async (req, res) => {
    if (!storage) throw new UploadError('not_configured', 'UPLOAD_BUCKET is not set: uploads are disabled.');
    const name = typeof req.query.name === 'string' ? req.query.name : '';
    const generation = typeof req.query.generation === 'string' ? req.query.generation : '';
    if (
      !name ||
      name.length > 1024 ||
      isUnderPrefix(name, config.thumbnailPrefix) ||
      !/^\d{1,20}$/.test(generation)
    ) {
      throw new UploadError('not_found', 'No such upload.');
    }
    const source = await readSource(storage, name, generation);
    if (!source) throw new UploadError('not_found', 'No such upload.');
    const thumbnail = await findThumbnail(storage, config.thumbnailPrefix, source);
    res.set('Cache-Control', 'no-store');
    res.json(
      thumbnail
        ? { status: 'ready', name, generation, thumbnail: thumbnailUrl(thumbnail) }
        : { status: 'pending', name, generation },
    );
  });

  /** Streams a thumbnail object from the private bucket: only under THUMBNAIL_PREFIX, only raster images. */
  app.get('/thumbnail/*name', async (req, res) => {
    if (!storage) throw new UploadError('not_configured', 'UPLOAD_BUCKET is not set: uploads are disabled.');
    const segments = (req.params as { name?: string[] }).name ?? [];
    const name = segments.join('/');
    if (
      !isUnderPrefix(name, config.thumbnailPrefix) ||
      segments.some((s) => s === '..' || s === '.' || s === '')
    ) {
      throw new UploadError('not_found', 'No such thumbnail.');
    }
    const metadata = await storage.stat(name);
    if (!metadata || !isServableImageType(metadata.contentType)) {
      throw new UploadError('not_found', 'No such thumbnail.');
    }
    res.status(200);
    res.set({
      'Content-Type': metadata.contentType,
      'Cache-Control': 'private, max-age=86400, immutable',
      'Content-Disposition': 'inline',
      'X-Content-Type-Options': 'nosniff',
    });
    res.set('Content-Length', String(metadata.size));
    const stream = storage.bucket
      .file(name, { generation: Number(metadata.generation) })
      .createReadStream({ validation: false });
    await new Promise<void>((resolve, reject) => {
      stream.on('error', (err) => {
        logger.warn({ err, object: name }, 'thumbnail stream failed');
        if (res.headersSent) {
          res.destroy(err);
          resolve();
          return;
        }
        for (const header of ['Content-Length', 'Content-Disposition', 'Cache-Control'])
          res.removeHeader(header);
        reject(new TransientError('storage_unavailable', 'Cloud Storage unavailable', { cause: err }));
      });
      res.on('close', () => {
        stream.destroy();
        resolve();
      });
      stream.pipe(res);
    });
  });

  app.use((_req, _res, next) => {
    next(new UploadError('not_found', 'There is nothing at this address.'));
  });

  // The one error middleware: every error becomes a status + human message, as JSON, a flash or a page.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const problem = toHttpProblem(err);
    const fields = {
      event: req.path === '/upload' ? 'upload_refused' : 'request_failed',
      reason: problem.reason,
      status: problem.status,
      method: req.method,
      path: req.path,
      bytes: req.file?.size,
      ...traceFields(req.headers, config.projectId),
    };
    if (problem.status >= 500 && problem.status !== 503) logger.error({ ...fields, err }, 'request failed');
    else if (req.path === '/upload')
      logger.warn({ ...fields, detail: err instanceof Error ? err.message : undefined }, 'upload refused');
    else if (problem.status !== 404) logger.warn(fields, 'request failed');

    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (wantsJson(req) || req.path.startsWith('/api/')) {
      res.status(problem.status).json({ status: 'error', error: problem.message });
    } else if (req.method === 'POST' && req.path === '/upload') {
      setFlash(req, res, { kind: 'error', message: problem.message });
      res.redirect(303, '/');
    } else {
      res.status(problem.status).type('html').send(renderErrorPage(problem.status, problem.message));
    }
  });

  return app;
}
