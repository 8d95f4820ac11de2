// Writes (uploads, copies, rewrites, compose): the target and the sources, read from the body where the route says
// so, checked, counted as create or overwrite by whether the target exists, forwarded with the body read. A
// create-only write (ifGenerationMatch=0, not resumable) is forwarded without looking the target up first: the
// upstream's 412 says the target exists, and becomes the 403 of the missing delete permission where that comes first.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ObjectRef, Route } from '../iam-routes.js';
import { jsonField, multipartMetadata, parseJson, readBody, scalar } from './bodies.js';
import type { Checks } from './checks.js';
import type { Forward } from './forward.js';
import { Refusal, sendRefusal } from './refusals.js';
import type { RequestLog } from './request-log.js';
import type { Sessions } from './sessions.js';
import type { Upstream } from './upstream.js';

type WriteRoute = Extract<Route, { kind: 'write' }>;

export type Write = (
  req: IncomingMessage,
  res: ServerResponse,
  route: WriteRoute,
  query: URLSearchParams,
) => Promise<void>;

/** The target's name: from the route, else from the body (a multipart upload's JSON part, a resumable start's JSON). */
function targetName(
  route: WriteRoute,
  body: Buffer | undefined,
  contentType: string | undefined,
): string | undefined {
  if (route.object !== undefined || !body) return route.object;
  const metadata = route.nameFrom === 'multipart' ? multipartMetadata(body, contentType) : parseJson(body);
  const name = jsonField(metadata, 'name');
  return typeof name === 'string' && name !== '' ? name : undefined;
}

/** The sources: from the route, else (compose) the `sourceObjects` of the JSON body, in the target's bucket. */
function sourcesOf(route: WriteRoute, body: Buffer | undefined): readonly ObjectRef[] {
  if (!route.sourcesFromBody) return route.sources;
  const listed = body && jsonField(parseJson(body), 'sourceObjects');
  return (Array.isArray(listed) ? listed : []).map((s) => ({
    bucket: route.bucket,
    object: scalar(jsonField(s, 'name')),
  }));
}

export function createWrites(
  log: RequestLog,
  checks: Checks,
  upstream: Upstream,
  forward: Forward,
  sessions: Sessions,
): Write {
  return async (req, res, route, query) => {
    const buffered = route.nameFrom !== 'query' || route.sourcesFromBody;
    const body = buffered ? await readBody(req) : undefined;
    const object = targetName(route, body, req.headers['content-type']);
    if (object === undefined) {
      log.count('other', req);
      throw new Refusal(
        `IAM proxy: could not classify ${req.method} ${req.url}: an upload that names no object`,
      );
    }
    const target = { bucket: route.bucket, object };
    const createOnly = !route.resumable && query.get('ifGenerationMatch') === '0';
    let replaces = false;
    try {
      checks.demandWrite(target, sourcesOf(route, body));
      if (!createOnly) replaces = await checks.demandReplace(target, query);
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      // The class of a refused write: an overwrite if the target is there.
      log.count(
        (await upstream.existing(target).catch(() => undefined)) ? 'overwrite' : 'create',
        req,
        target.object,
      );
      error.body = body;
      throw error;
    }
    const counted = log.count(replaces ? 'overwrite' : 'create', req, target.object);
    if (!createOnly) {
      forward(req, res, body, route.resumable ? sessions.opening(target, query) : undefined);
      return;
    }
    forward(req, res, body, (status, _headers, upstreamRes) => {
      if (status !== 412) return false;
      counted.reclassify('overwrite');
      const refusal = checks.overwriteRefusal(target);
      if (!refusal) return false;
      upstreamRes.resume();
      sendRefusal(res, refusal, log);
      return true;
    });
  };
}
