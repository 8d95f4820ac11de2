/**
 * POST /upload, in the order it runs: the per-address rate limit, the body received under the slow-client rules
 * and the upload slots (slow-clients.ts, slots.ts, multipart.ts), then the decode check, the create-only write and
 * the answer (201 JSON, or a flash and a 303 for a browser form).
 */
import { performance } from 'node:perf_hooks';
import {
  probeImage,
  traceFields,
  type Clock,
  type ImageLimits,
  type ProbeResult,
  type StorageAdapter,
  type StoredObject,
} from '@thumbnailer/core';
import express, { type Request, type Response, type Router } from 'express';
import { rateLimit } from 'express-rate-limit';
import type { Logger } from 'pino';
import type { WebConfig } from './config.js';
import { UploadError } from './errors.js';
import { multipartParser } from './multipart.js';
import { deliver } from './respond.js';
import type { WebMetrics } from './metrics.js';
import { receiveUpload } from './slow-clients.js';
import type { UploadSlots } from './slots.js';
import { sourceInfo } from './thumbnails.js';
import { printable, storeUpload } from './uploads.js';
import type { Visibility } from './visibility.js';

export interface UploadRouteDeps {
  config: WebConfig;
  logger: Logger;
  storage: StorageAdapter;
  visibility: Visibility;
  slots: UploadSlots;
  clock: Clock;
  imageLimits: Partial<ImageLimits> | undefined;
  metrics: WebMetrics | undefined;
}

/** Counts every answered upload by its outcome's status, with its bytes and time from arrival (slot wait included). */
function countUpload(metrics: WebMetrics | undefined) {
  return (req: Request, res: Response, next: () => void): void => {
    const began = performance.now();
    res.once('finish', () => {
      metrics?.upload({
        status: Number(res.locals.outcomeStatus ?? res.statusCode),
        ...(req.file ? { bytes: req.file.size } : {}),
        seconds: (performance.now() - began) / 1000,
      });
    });
    next();
  };
}

/** Per client address (req.ip: TRUST_PROXY decides how far X-Forwarded-For is believed), per instance. */
function uploadRateLimit(config: WebConfig) {
  return rateLimit({
    windowMs: 60_000,
    limit: config.rateLimitPerMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    // An X-Forwarded-For that TRUST_PROXY does not trust is expected (anyone can send one) and ignored.
    validate: { xForwardedForHeader: false },
    handler: (_req, _res, next) => {
      next(
        new UploadError(
          'rate_limited',
          'Too many uploads from your address. Please wait a minute and try again.',
        ),
      );
    },
  });
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

export function uploadRoute(deps: UploadRouteDeps): Router {
  const { config, logger, storage } = deps;
  const router = express.Router();
  const parse = multipartParser(config.maxUploadBytes);
  const store = async (req: Request, res: Response) => {
    const began = performance.now();
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
    const stored = await storeUpload(storage, file.buffer, {
      originalName: file.originalname,
      probe,
      at: deps.clock(),
    });
    deps.visibility.stored(req, res, sourceInfo(stored));
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
        ms: Math.round(performance.now() - began),
        httpRequest: { requestMethod: 'POST', remoteIp: req.ip },
        ...traceFields(req.headers, config.projectId),
      },
      'upload stored',
    );
    deliver(req, res, {
      status: 201,
      json: uploadedBody(stored, probe),
      flash: {
        kind: 'success',
        message: `Uploaded ${printable(file.originalname, 120) || 'your image'} as ${stored.name} (${probe.width}×${probe.height} ${probe.format.toUpperCase()}).`,
        object: { name: stored.name, generation: stored.generation },
      },
    });
  };
  router.post(
    '/upload',
    countUpload(deps.metrics),
    uploadRateLimit(config),
    receiveUpload(deps.slots, (req, res, head, done) => {
      logger.debug({ bytes: req.get('content-length') }, 'upload started');
      parse(req, res, head, done);
    }),
    store,
  );
  return router;
}
