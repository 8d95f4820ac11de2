// What the proxy answers instead of the upstream: Cloud Storage's JSON 403 for a Refusal (a check throws one), or a
// 502 when the proxy itself fails. A refused request naming a bucket that does not exist is forwarded instead, for
// the upstream's 404.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Check } from '../iam-routes.js';
import { sendError } from './bodies.js';
import type { Forward } from './forward.js';
import type { RequestLog } from './request-log.js';
import type { Upstream } from './upstream.js';

/** Thrown while a request is checked; answered with Cloud Storage's 403 (refuse()). */
export class Refusal extends Error {
  /** The request body when the proxy had already read it (it is forwarded if the refusal is not answered). */
  body: Buffer | undefined;
  constructor(
    message: string,
    /** The bucket the refused request names: a bucket that does not exist is left to the upstream's 404. */
    readonly bucket?: string,
  ) {
    super(message);
  }
}

/** A missing permission, in Cloud Storage's wording for the kind of resource. */
export function deniedRefusal(serviceAccount: string, check: Check, bucket?: string): Refusal {
  const what = check.resource.includes('/objects/')
    ? 'the Google Cloud Storage object'
    : check.resource.startsWith('projects/_/buckets/')
      ? 'the Google Cloud Storage bucket'
      : 'the Google Cloud project';
  return new Refusal(
    `${serviceAccount} does not have ${check.permission} access to ${what}. ` +
      `Permission '${check.permission}' denied on resource (or it may not exist).`,
    bucket,
  );
}

export type Refuse = (req: IncomingMessage, res: ServerResponse, refusal: Refusal) => Promise<void>;

/** Answers a Refusal: the 403, or the upstream's 404 when the bucket it names does not exist. */
export function createRefuse(upstream: Upstream, forward: Forward, log: RequestLog): Refuse {
  return async (req, res, refusal) => {
    if (refusal.bucket !== undefined && !(await upstream.bucketExists(refusal.bucket))) {
      forward(req, res, refusal.body);
      return;
    }
    req.resume(); // read what is left of the body, so the connection stays usable
    sendRefusal(res, refusal, log);
  };
}

/** Cloud Storage's JSON 403 for `refusal`, counted as refused. */
export function sendRefusal(res: ServerResponse, refusal: Refusal, log: RequestLog): void {
  log.refused();
  sendError(res, 403, refusal.message, 'forbidden', 'application/json; charset=UTF-8');
}

/** The proxy's own failure: a 502 naming it, or a broken response when the answer has begun. */
export function sendFailure(res: ServerResponse, error: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendError(res, 502, `IAM proxy: ${error instanceof Error ? error.message : String(error)}`, 'backendError');
}
