/**
 * What happened to one event, and the delivery decision that follows from it — decided first, for every input:
 * `settled` (ack: processed, duplicate, skipped, or an unusable event that never gets better) or `retry` (nack /
 * redeliver: storage unavailable or refusing, shutting down). POST /event's HTTP status is derived from the
 * decision (retry → 503; settled → 200, or 400 for an unusable event).
 * errorOutcome() is the one mapping from errors to outcomes; the Express error middleware, the Pub/Sub message
 * handler and the backfill all use it.
 */
import { ImageError, TransientError } from '@thumbnailer/core';
import type { Logger } from 'pino';
import { EventError } from './errors.js';
import type { SkipReason } from './metrics.js';

/** One rendition of a source generation, as the answer, the ready event and the logs name it. */
export interface RenditionRef {
  rendition: string;
  uri: string;
  width: number;
  height: number;
  bytes: number;
  contentType: string;
}

export type Outcome =
  | { status: 'processed'; key: string; renditions: RenditionRef[] }
  | { status: 'duplicate'; key: string }
  | { status: 'removed'; key: string; removed: number }
  | { status: 'skipped'; reason: string; code: SkipReason; key?: string; permanent?: boolean }
  | { status: 'error'; error: string; code: string }
  | { status: 'retry'; error: string; code: string; key?: string };

export type ResponseBody =
  | {
      status: 'processed';
      key: string;
      /** The first rendition's URI (the contract's field from before renditions). */
      thumbnail: string;
      renditions: Omit<RenditionRef, 'bytes'>[];
    }
  | { status: 'duplicate'; key: string }
  | { status: 'removed'; key: string; removed: number }
  | { status: 'skipped'; reason: string }
  | { status: 'error'; error: string }
  | { status: 'retry'; error: string };

export type Delivery = 'settled' | 'retry';

/** The delivery decision: only a retry outcome is redelivered; everything else is settled once. */
export function deliveryOf(outcome: Outcome): Delivery {
  return outcome.status === 'retry' ? 'retry' : 'settled';
}

/** POST /event's status, derived from the delivery decision: 503 retry; 400 for an unusable event; else 200. */
export function eventHttpStatus(outcome: Outcome): 200 | 400 | 503 {
  if (deliveryOf(outcome) === 'retry') return 503;
  return outcome.status === 'error' ? 400 : 200;
}

/** The contract's JSON for `POST /event` (internal fields such as codes stay in the logs). */
export function responseBody(outcome: Outcome): ResponseBody {
  switch (outcome.status) {
    case 'processed':
      return {
        status: 'processed',
        key: outcome.key,
        thumbnail: outcome.renditions[0]?.uri ?? '',
        renditions: outcome.renditions.map(({ rendition, uri, width, height, contentType }) => ({
          rendition,
          uri,
          width,
          height,
          contentType,
        })),
      };
    case 'duplicate':
      return { status: 'duplicate', key: outcome.key };
    case 'removed':
      return { status: 'removed', key: outcome.key, removed: outcome.removed };
    case 'skipped':
      return { status: 'skipped', reason: outcome.reason };
    case 'error':
      return { status: 'error', error: outcome.error };
    case 'retry':
      return { status: 'retry', error: outcome.error };
  }
}

/** Bodies that body-parser refuses (too large, bad encoding) carry an HTTP status of their own. */
function clientHttpError(err: unknown): err is Error & { status: number } {
  const status = (err as { status?: unknown } | null)?.status;
  return err instanceof Error && typeof status === 'number' && status >= 400 && status < 500;
}

/**
 * The one error → outcome mapping. Unusable events → error (400, acked once); image refusals → skipped
 * (permanent, acked once); transient failures → retry. Anything unknown is treated as transient: a bug
 * must not silently drop an event, and the redelivery is logged.
 */
export function errorOutcome(err: unknown, key?: string): Outcome {
  if (err instanceof EventError) return { status: 'error', error: err.message, code: err.code };
  if (clientHttpError(err)) return { status: 'error', error: err.message, code: 'malformed_event' };
  if (err instanceof ImageError)
    return {
      status: 'skipped',
      reason: `${err.code}: ${err.message}`,
      code: err.code,
      permanent: true,
      ...(key ? { key } : {}),
    };
  if (err instanceof TransientError)
    return { status: 'retry', error: err.message, code: err.code, ...(key ? { key } : {}) };
  const message = err instanceof Error ? err.message : String(err);
  return {
    status: 'retry',
    error: `unexpected failure: ${message}`,
    code: 'internal',
    ...(key ? { key } : {}),
  };
}

/** One log line per event outcome, carrying its key; warnings for refusals and redeliveries. */
export function logOutcome(logger: Logger, outcome: Outcome, fields: Record<string, unknown> = {}): void {
  const line = { ...fields, ...outcome };
  if (outcome.status === 'processed' || outcome.status === 'duplicate' || outcome.status === 'removed')
    logger.info(line, `event ${outcome.status}`);
  else if (outcome.status === 'skipped' && outcome.permanent) {
    // A permanent refusal of a real object (not an image, corrupt, gone): acked once, never redelivered.
    logger.warn(line, `event skipped: ${outcome.reason}`);
  } else if (outcome.status === 'skipped') logger.info(line, `event skipped: ${outcome.reason}`);
  else if (outcome.status === 'error') logger.warn(line, `event refused: ${outcome.error}`);
  else logger.warn(line, `event to be retried: ${outcome.error}`);
}
