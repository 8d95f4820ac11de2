// Resumable upload sessions opened through the proxy: remembered when the upstream answers their start, checked
// again on each request that carries bytes (the target may have appeared since), forgotten when done or cancelled.
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { ObjectRef, Route } from '../iam-routes.js';
import type { Checks } from './checks.js';
import type { Forward } from './forward.js';
import { Refusal } from './refusals.js';
import type { RequestLog } from './request-log.js';

interface Session extends ObjectRef {
  /** The initiating request's query: its preconditions apply when the upload completes. */
  query: URLSearchParams;
}

export interface Sessions {
  /** The onResponse of a session's start: a 2xx's Location names the session (its upload_id). */
  opening(target: ObjectRef, query: URLSearchParams): (status: number, headers: IncomingHttpHeaders) => void;
  /** A request to a session: counted, checked and forwarded; refused when the proxy did not see it start. */
  handle(
    req: IncomingMessage,
    res: ServerResponse,
    route: Extract<Route, { kind: 'session' }>,
  ): Promise<void>;
}

export function createSessions(log: RequestLog, checks: Checks, forward: Forward): Sessions {
  const sessions = new Map<string, Session>();
  return {
    opening: (target, query) => (status, headers) => {
      if (status < 200 || status >= 300 || typeof headers.location !== 'string') return;
      const uploadId = new URLSearchParams(headers.location.split('?')[1] ?? '').get('upload_id');
      if (uploadId) sessions.set(uploadId, { ...target, query });
    },
    async handle(req, res, route) {
      const session = sessions.get(route.uploadId);
      log.count(route.cancel ? 'other' : 'uploadData', req);
      if (!session)
        throw new Refusal(
          `IAM proxy: could not classify ${req.method} ${req.url}: an upload session not started through this proxy`,
        );
      if (!route.cancel) {
        // The target may have appeared since the session started: the upload would replace it.
        await checks.demandReplace(session, session.query);
      }
      forward(req, res, undefined, (status) => {
        if (route.cancel || status === 200 || status === 201) sessions.delete(route.uploadId);
      });
    },
  };
}
