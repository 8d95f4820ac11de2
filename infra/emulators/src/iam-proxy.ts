/**
 * An HTTP proxy in front of fake-gcs-server that enforces one identity's IAM policy the way Cloud Storage does, and
 * counts what it sees. A request is classified (iam-routes.ts), counted, checked, then forwarded (or, an allowed
 * download with `mediaReads: 'redirect'`, sent to fake-gcs-server with a 307); a refusal is Cloud Storage's JSON
 * 403 (an ApiError 403 in the Node client), and what cannot be classified is refused. The parts, in iam-proxy/, in
 * the order a request meets them: request-log, checks, upstream, writes, sessions, forward, refusals.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { IdentityPolicy } from './iam-policy/model.js';
import { classify } from './iam-routes.js';
import { createChecks, type Checks, type IamOrder } from './iam-proxy/checks.js';
import { createForwarder, type Forward } from './iam-proxy/forward.js';
import { createRefuse, Refusal, sendFailure, type Refuse } from './iam-proxy/refusals.js';
import {
  createRequestLog,
  type ProxiedRequest,
  type RequestLog,
  type StorageRequestCounts,
} from './iam-proxy/request-log.js';
import { createSessions, type Sessions } from './iam-proxy/sessions.js';
import { connectUpstream } from './iam-proxy/upstream.js';
import { createWrites, type Write } from './iam-proxy/writes.js';

export type { IamOrder, ProxiedRequest, StorageRequestCounts };

/**
 * How an allowed download (a GET of an object's bytes) reaches the client: 'relay' streams the bytes through the
 * proxy; 'redirect' answers 307 with the same path on fake-gcs-server, so the bytes go from the emulator to the
 * client as from Cloud Storage, and the proxy's process spends nothing on them (the bench runs the proxy on the
 * CPUs it measures). The request is classified, counted and checked first either way; a refusal is the same 403.
 */
export type MediaReads = 'relay' | 'redirect';

export interface IamProxy {
  /** 'http://HOST:PORT' — the value for STORAGE_EMULATOR_HOST (or a client's apiEndpoint). */
  url: string;
  policy: IdentityPolicy;
  readonly order: IamOrder;
  setOrder(order: IamOrder): void;
  /** Requests per class since the start or the last reset(). */
  counts(): StorageRequestCounts;
  /** Every request since the start or the last reset(), in arrival order. */
  requests(): readonly ProxiedRequest[];
  reset(): void;
  close(): Promise<void>;
}

export interface IamProxyOptions {
  /** fake-gcs-server's address, 'http://127.0.0.1:PORT'. */
  upstream: string;
  policy: IdentityPolicy;
  /** Whether a failing precondition (412) or the missing delete permission (403) wins (default 'permission-first'). */
  order?: IamOrder;
  /** The host name written into `url` (default '127.0.0.1'; the proxy always listens on 127.0.0.1). */
  advertisedHost?: string;
  /** Default 'relay': every byte through the proxy, so a fault proxy in front of it sees the downloads too. */
  mediaReads?: MediaReads;
}

export async function startIamProxy(options: IamProxyOptions): Promise<IamProxy> {
  const { policy } = options;
  let order: IamOrder = options.order ?? 'permission-first';
  const upstream = connectUpstream(options.upstream);
  const log = createRequestLog();
  const checks = createChecks(policy, () => order, upstream);
  const listener = await listen();
  const url = `http://${options.advertisedHost ?? '127.0.0.1'}:${listener.port}`;
  const forward = createForwarder(upstream, url);
  const sessions = createSessions(log, checks, forward);
  const write = createWrites(log, checks, upstream, forward, sessions);
  const refuse = createRefuse(upstream, forward, log);
  const redirectOrigin = options.mediaReads === 'redirect' ? new URL(options.upstream).origin : undefined;
  listener.server.on('request', handler({ log, checks, forward, sessions, write, refuse, redirectOrigin }));

  let closing: Promise<void> | undefined;
  return {
    url,
    policy,
    get order() {
      return order;
    },
    setOrder(next) {
      order = next;
    },
    counts: () => log.counts(),
    requests: () => log.requests(),
    reset: () => log.reset(),
    close() {
      if (!closing) {
        closing = listener.close();
        upstream.close();
      }
      return closing;
    },
  };
}

/**
 * An HTTP server on a free port of 127.0.0.1, its request listener still to add (it needs the proxy's URL, known
 * from the port); close() also ends the sockets clients keep alive.
 */
async function listen(): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const server = createServer();
  // Longer than the clients' idle keep-alive sockets live, so a reused socket is never closed under a request.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (!address || typeof address !== 'object') throw new Error('IAM proxy: no listening address');
  return {
    server,
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

interface Parts {
  log: RequestLog;
  checks: Checks;
  forward: Forward;
  sessions: Sessions;
  write: Write;
  refuse: Refuse;
  /** With `mediaReads: 'redirect'`: fake-gcs-server's 'http://HOST:PORT', where an allowed download is sent. */
  redirectOrigin: string | undefined;
}

/** The server's request listener: a Refusal thrown is answered with the 403, any other failure with a 502. */
function handler(parts: Parts): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    dispatch(parts, req, res)
      .catch(async (error: unknown) => {
        if (error instanceof Refusal) return parts.refuse(req, res, error);
        throw error;
      })
      .catch((error: unknown) => sendFailure(res, error));
  };
}

/** One request, as it goes: classified, counted, checked (a failing check throws a Refusal), forwarded. */
async function dispatch(
  { log, checks, forward, sessions, write, redirectOrigin }: Parts,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const path = req.url ?? '/';
  const route = classify(req.method ?? 'GET', path, req.headers);
  const query = new URL(path, 'http://proxy.invalid').searchParams;
  switch (route.kind) {
    case 'unclassified':
      log.count('other', req);
      throw new Refusal(
        `IAM proxy: could not classify ${req.method} ${path} (${route.reason}); refused so that nothing passes unchecked`,
      );
    case 'checked':
      log.count(route.class, req);
      for (const check of route.checks) checks.demand(check, route.bucket);
      if (redirectOrigin !== undefined && route.class === 'mediaRead' && req.method === 'GET') {
        res.writeHead(307, { location: `${redirectOrigin}${path}`, 'content-length': '0' }).end();
        return;
      }
      forward(req, res, undefined);
      return;
    case 'write':
      return write(req, res, route, query);
    case 'session':
      return sessions.handle(req, res, route);
  }
}
