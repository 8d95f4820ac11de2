/**
 * The worker's HTTP surface. createApp() never listens (main.ts does).
 * - POST /event: a CloudEvent (binary or structured) or a Pub/Sub push body → the pipeline → the contract's JSON.
 * - GET /healthz: 200 while serving.
 * One error middleware maps every error through errorOutcome(): its status is the delivery decision.
 */
import express, { type ErrorRequestHandler, type Express } from 'express';
import type { Logger } from 'pino';
import { parseHttpEvent } from './events.js';
import { errorOutcome, eventHttpStatus, logOutcome, responseBody } from './outcomes.js';
import type { WorkerMetrics } from './metrics.js';
import type { Pipeline } from './pipeline.js';
import { idempotencyKey, traceFields, TransientError } from '@thumbnailer/core';

export interface AppDeps {
  pipeline: Pipeline;
  logger: Logger;
  /** Served on GET /metrics and told of every /event outcome; none → no /metrics. */
  metrics?: Pick<WorkerMetrics, 'event' | 'text' | 'contentType'>;
  projectId?: string | undefined;
  /** Aborted on SIGTERM: /event answers 503 retry from then on. */
  signal?: AbortSignal;
}

/** Event bodies are small JSON documents; anything bigger is not an event. */
const MAX_EVENT_BYTES = '1mb';

export function createApp({ pipeline, logger, metrics, projectId, signal }: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', shuttingDown: signal?.aborted ?? false, active: pipeline.active });
  });
  if (metrics) {
    app.get('/metrics', async (_req, res) => {
      res.set('Content-Type', metrics.contentType).send(await metrics.text());
    });
  }

  // The raw text, whatever the content type: HTTP.toEvent wants the body as sent, with its headers.
  app.post('/event', express.text({ type: () => true, limit: MAX_EVENT_BYTES }), async (req, res) => {
    res.locals.trace = traceFields(req.headers, projectId);
    if (signal?.aborted) throw new TransientError('shutting_down', 'the worker is shutting down');
    const body: unknown = req.body;
    const event = parseHttpEvent({ headers: req.headers, body: typeof body === 'string' ? body : '' });
    res.locals.key = idempotencyKey(event.bucket, event.name, event.generation);
    const outcome = await pipeline.process(event);
    metrics?.event(event.via, outcome);
    logOutcome(logger, outcome, {
      via: event.via,
      object: `gs://${event.bucket}/${event.name}`,
      ...(res.locals.trace as object),
    });
    res.status(eventHttpStatus(outcome)).json(responseBody(outcome));
  });

  const errors: ErrorRequestHandler = (err, _req, res, _next) => {
    const outcome = errorOutcome(err, res.locals.key as string | undefined);
    metrics?.event('push', outcome);
    // Stacks only for what is not an expected refusal.
    logOutcome(logger, outcome, {
      ...(res.locals.trace as object),
      ...(outcome.status === 'retry' ? { err } : {}),
    });
    if (res.headersSent) return;
    res.status(eventHttpStatus(outcome)).json(responseBody(outcome));
  };
  app.use(errors);
  return app;
}
