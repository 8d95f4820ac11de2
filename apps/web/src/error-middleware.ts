/**
 * The one error middleware: every error becomes a status and a human message (errors.ts), logged once, and
 * delivered as JSON, a flash after a form post, or a page (respond.ts).
 */
import { traceFields } from '@thumbnailer/core';
import type { ErrorRequestHandler, NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import type { WebConfig } from './config.js';
import { toHttpProblem, UploadError } from './errors.js';
import { deliver } from './respond.js';
import { renderErrorPage } from './views.js';

export function notFound(_req: Request, _res: Response, next: NextFunction): void {
  next(new UploadError('not_found', 'There is nothing at this address.'));
}

export function errorMiddleware(config: WebConfig, logger: Logger): ErrorRequestHandler {
  return (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const problem = toHttpProblem(err);
    const isUpload = req.method === 'POST' && req.path === '/upload';
    const fields = {
      event: isUpload ? 'upload_refused' : 'request_failed',
      reason: problem.reason,
      status: problem.status,
      method: req.method,
      path: req.path,
      bytes: req.file?.size,
      httpRequest: { requestMethod: req.method, remoteIp: req.ip },
      ...traceFields(req.headers, config.projectId),
    };
    if (problem.status >= 500 && problem.status !== 503) logger.error({ ...fields, err }, 'request failed');
    else if (isUpload)
      logger.warn({ ...fields, detail: err instanceof Error ? err.message : undefined }, 'upload refused');
    else if (problem.status !== 404) logger.warn(fields, 'request failed');

    if (res.headersSent) {
      res.destroy();
      return;
    }
    // A body nobody read (refused before the parser, or not multipart) is drained, not left to stall the socket.
    if (!req.readableEnded && !req.destroyed) req.resume();
    deliver(req, res, {
      status: problem.status,
      json: { status: 'error', error: problem.message },
      flash: isUpload ? { kind: 'error', message: problem.message } : undefined,
      page: () => renderErrorPage(problem.status, problem.message),
    });
  };
}
