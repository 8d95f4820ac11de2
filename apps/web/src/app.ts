/**
 * The upload frontend as an Express app, assembled from modules by concern in the order a request meets them.
 * createApp never listens; main.ts wires and listens.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { systemClock, type Clock, type ImageLimits, type StorageAdapter } from '@thumbnailer/core';
import cookieParser from 'cookie-parser';
import express, { type Router } from 'express';
import type { Logger } from 'pino';
import type { WebConfig } from './config.js';
import { errorMiddleware, notFound } from './error-middleware.js';
import type { WebMetrics } from './metrics.js';
import { UploadError } from './errors.js';
import { takeFlash } from './flash.js';
import { uploadPage } from './page.js';
import { securityHeaders } from './security.js';
import { UploadSlots } from './slots.js';
import { thumbnailRoutes } from './thumbnail-routes.js';
import { RenditionFinder } from './thumbnails.js';
import { uploadRoute } from './upload-route.js';
import { renderNotConfiguredPage } from './views.js';
import { createVisibility } from './visibility.js';

export interface AppDeps {
  config: WebConfig;
  logger: Logger;
  /** Core's adapter over the UPLOAD_BUCKET bucket; undefined when UPLOAD_BUCKET is unset (503 mode). */
  storage: StorageAdapter | undefined;
  /** Signs the flash and upload-session cookies. */
  sessionSecret: string;
  /** The upload slots (MAX_CONCURRENT_UPLOADS), when the caller wants to read them (metrics, tests). */
  uploadSlots?: UploadSlots;
  /** Served on GET /metrics and fed by the upload route; none → no /metrics. */
  metrics?: WebMetrics;
  /** Fixes the upload folder hour in tests. */
  clock?: Clock;
  imageLimits?: Partial<ImageLimits>;
}

const STATIC_DIR = fileURLToPath(new URL('../static/', import.meta.url));
/** The `thumbhash` package's own ES module (its decoder paints the placeholders): served as it is, from here. */
const THUMBHASH_MODULE = createRequire(import.meta.url).resolve('thumbhash');
const STATIC_OPTIONS = { maxAge: '1h' } as const;

export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.config.trustProxy);
  app.use(securityHeaders());
  app.use(cookieParser(deps.sessionSecret));
  app.get('/static/thumbhash.js', (_req, res, next) => {
    res.type('text/javascript').sendFile(THUMBHASH_MODULE, STATIC_OPTIONS, (err) => err && next(err));
  });
  app.use('/static', express.static(STATIC_DIR, { ...STATIC_OPTIONS, index: false, fallthrough: false }));
  app.get('/healthz', (_req, res) => {
    res.status(200).type('text/plain').send('ok');
  });
  const { metrics } = deps;
  if (metrics) {
    app.get('/metrics', async (_req, res) => {
      res.set('Content-Type', metrics.contentType).send(await metrics.text());
    });
  }
  app.use(deps.storage ? bucketRoutes({ ...deps, storage: deps.storage }) : notConfiguredRoutes());
  app.use(notFound);
  app.use(errorMiddleware(deps.config, deps.logger));
  return app;
}

/** Everything that needs the bucket, given the adapter (never undefined here). */
function bucketRoutes(deps: AppDeps & { storage: StorageAdapter }): Router {
  const { config, logger, storage } = deps;
  const clock = deps.clock ?? systemClock;
  const finder = new RenditionFinder(storage, config.thumbnailPrefix, config.renditions);
  const visibility = createVisibility(config.gallery, storage, finder, clock);
  const slots = deps.uploadSlots ?? new UploadSlots(config.maxConcurrentUploads);
  const router = express.Router();
  router.get('/', uploadPage(config, logger, visibility));
  router.use(
    uploadRoute({
      config,
      logger,
      storage,
      visibility,
      slots,
      clock,
      imageLimits: deps.imageLimits,
      metrics: deps.metrics,
    }),
  );
  router.use(thumbnailRoutes({ config, logger, storage, finder, visibility }));
  return router;
}

/** Without UPLOAD_BUCKET: a 503 page without a form, and 503 for every route that would need the bucket. */
function notConfiguredRoutes(): Router {
  const router = express.Router();
  router.get('/', (req, res) => {
    res.set('Cache-Control', 'no-store');
    res
      .status(503)
      .type('html')
      .send(renderNotConfiguredPage(takeFlash(req, res)));
  });
  router.use(['/upload', '/api', '/thumbnail'], (_req, _res, next) => {
    next(new UploadError('not_configured', 'UPLOAD_BUCKET is not set: uploads are disabled.'));
  });
  return router;
}
