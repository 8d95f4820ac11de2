/**
 * An HTTP proxy in front of fake-gcs-server that enforces one identity's IAM policy (iam-policy.ts) the way Cloud
 * Storage does, and counts the requests it sees per class (iam-routes.ts). Each request is classified, checked,
 * and only then forwarded; a refusal is Cloud Storage's JSON 403, so the Node client raises ApiError 403 as in
 * production. What the proxy cannot classify is refused too, so nothing slips through unchecked.
 *
 * What it looks up itself, directly upstream and uncounted: whether a write's target exists (replacing an object
 * needs storage.objects.delete besides create), and, before a refusal, whether the bucket exists (a bucket that does
 * not exist answers the upstream's 404). Whether a failing precondition (412) or the missing delete permission (403)
 * wins on an overwrite is not documented: `order` picks one ('permission-first' by default).
 */
import {
  Agent,
  createServer,
  request,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { Socket } from 'node:net';
import { allows, objectResource, type IdentityPolicy } from './iam-policy.js';
import {
  classify,
  multipartMetadata,
  requestClasses,
  type Check,
  type ObjectRef,
  type RequestClass,
  type Route,
} from './iam-routes.js';

export type IamOrder = 'permission-first' | 'precondition-first';

export type StorageRequestCounts = Record<RequestClass, number> & {
  /** Requests answered 403 by the proxy (each also counted under its class). */
  refused: number;
  /** Every request the proxy received (the sum of the classes). */
  total: number;
};

/** One request the proxy received, as the identity sent it (the proxy's own lookups are not in it). */
export interface ProxiedRequest {
  method: string;
  /** Path and query, decoded. */
  path: string;
  class: RequestClass;
  /** The object a write names (an upload names it in its body, not in its path). */
  object?: string;
}

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
  order?: IamOrder;
  /** The host name written into `url` (default '127.0.0.1'; the proxy always listens on 127.0.0.1). */
  advertisedHost?: string;
}

interface Session {
  bucket: string;
  object: string;
  /** The initiating request's query: its preconditions apply when the upload completes. */
  query: URLSearchParams;
}

interface ObjectMetadata {
  generation: string;
  metageneration: string;
}

const preconditionParams = [
  ['ifGenerationMatch', 'generation', true],
  ['ifGenerationNotMatch', 'generation', false],
  ['ifMetagenerationMatch', 'metageneration', true],
  ['ifMetagenerationNotMatch', 'metageneration', false],
] as const;

/** True when a precondition in `query` fails against the existing object. */
function preconditionFails(query: URLSearchParams, existing: ObjectMetadata): boolean {
  return preconditionParams.some(([param, field, match]) => {
    const wanted = query.get(param);
    return wanted !== null && (wanted === existing[field]) !== match;
  });
}

function errorBody(code: number, message: string, reason: string): string {
  return JSON.stringify({ error: { code, message, errors: [{ message, domain: 'global', reason }] } });
}

/** Cloud Storage's wording for a missing permission, by the kind of resource. */
function deniedMessage(serviceAccount: string, check: Check): string {
  const what = check.resource.includes('/objects/')
    ? 'the Google Cloud Storage object'
    : check.resource.startsWith('projects/_/buckets/')
      ? 'the Google Cloud Storage bucket'
      : 'the Google Cloud project';
  return (
    `${serviceAccount} does not have ${check.permission} access to ${what}. ` +
    `Permission '${check.permission}' denied on resource (or it may not exist).`
  );
}

/** Thrown while a request is checked; answered with Cloud Storage's 403 (refuse()). */
class Refusal extends Error {
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

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function jsonField(value: unknown, field: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[field] : undefined;
}

/** fake-gcs-server writes generations as numbers, Cloud Storage as strings: compare them as strings. */
function scalar(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : '';
}

const hopByHop = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
]);

export async function startIamProxy(options: IamProxyOptions): Promise<IamProxy> {
  const upstream = new URL(options.upstream);
  const upstreamPort = Number(upstream.port || 80);
  const agent = new Agent({ keepAlive: true });
  const { policy } = options;
  let order: IamOrder = options.order ?? 'permission-first';
  const sessions = new Map<string, Session>();
  const emptyCounts = (): StorageRequestCounts =>
    ({
      ...Object.fromEntries(requestClasses.map((c) => [c, 0])),
      refused: 0,
      total: 0,
    }) as StorageRequestCounts;
  let counts = emptyCounts();
  let log: ProxiedRequest[] = [];
  let url = '';

  const count = (cls: RequestClass, req: IncomingMessage, object?: string): void => {
    counts[cls] += 1;
    counts.total += 1;
    let path = req.url ?? '/';
    try {
      path = decodeURIComponent(path);
    } catch {
      // kept as sent
    }
    log.push({ method: req.method ?? 'GET', path, class: cls, ...(object !== undefined ? { object } : {}) });
  };

  /** One request of the proxy's own, straight to the upstream: status and parsed JSON body. */
  const lookup = (path: string): Promise<{ status: number; body: unknown }> =>
    new Promise((resolve, reject) => {
      const req = request(
        { host: upstream.hostname, port: upstreamPort, path, method: 'GET', agent },
        (res) => {
          readBody(res).then((buf) => {
            let body: unknown;
            try {
              body = JSON.parse(buf.toString('utf8'));
            } catch {
              body = undefined;
            }
            resolve({ status: res.statusCode ?? 0, body });
          }, reject);
        },
      );
      req.on('error', reject);
      req.end();
    });

  const existing = async ({ bucket, object }: ObjectRef): Promise<ObjectMetadata | undefined> => {
    const { status, body } = await lookup(
      `/storage/v1/b/${encodeURIComponent(bucket)}/o/${encodeURIComponent(object)}`,
    );
    if (status === 404) return undefined;
    if (status !== 200)
      throw new Error(`IAM proxy: metadata lookup of ${bucket}/${object} answered ${status}`);
    return {
      generation: scalar(jsonField(body, 'generation')),
      metageneration: scalar(jsonField(body, 'metageneration')),
    };
  };

  const bucketExists = async (bucket: string): Promise<boolean> =>
    (await lookup(`/storage/v1/b/${encodeURIComponent(bucket)}`)).status !== 404;

  const demand = (check: Check, bucket?: string): void => {
    if (!allows(policy, check.permission, check.resource))
      throw new Refusal(deniedMessage(policy.serviceAccount, check), bucket);
  };

  /** Location headers that point at the upstream point at the proxy instead. */
  const rewriteLocation = (value: string): string => {
    try {
      const target = new URL(value);
      if (
        Number(target.port || 80) === upstreamPort &&
        /^(127\.0\.0\.1|localhost|\[::1\])$/.test(target.hostname)
      )
        return `${url}${target.pathname}${target.search}`;
    } catch {
      // not an absolute URL: leave it
    }
    return value;
  };

  const forward = (
    req: IncomingMessage,
    res: ServerResponse,
    body: Buffer | undefined,
    onResponse?: (status: number, headers: IncomingHttpHeaders) => void,
  ): void => {
    const headers: IncomingHttpHeaders = {};
    for (const [name, value] of Object.entries(req.headers)) if (!hopByHop.has(name)) headers[name] = value;
    if (body) headers['content-length'] = String(body.length);
    else if (req.headers['transfer-encoding'])
      headers['transfer-encoding'] = req.headers['transfer-encoding'];
    const upstreamReq = request(
      { host: upstream.hostname, port: upstreamPort, method: req.method, path: req.url, headers, agent },
      (upstreamRes) => {
        const status = upstreamRes.statusCode ?? 502;
        onResponse?.(status, upstreamRes.headers);
        const out: Record<string, string | string[]> = {};
        for (const [name, value] of Object.entries(upstreamRes.headers)) {
          if (value === undefined || hopByHop.has(name)) continue;
          out[name] =
            name === 'location' || name === 'x-goog-upload-url' ? rewriteLocation(String(value)) : value;
        }
        res.writeHead(status, out);
        upstreamRes.pipe(res);
      },
    );
    upstreamReq.on('error', () => {
      if (res.headersSent) {
        res.destroy(); // mid-body: the client must see a broken response, not a truncated one
        return;
      }
      const message = errorBody(502, 'IAM proxy: the storage emulator did not answer', 'backendError');
      res.writeHead(502, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(message),
      });
      res.end(message);
    });
    // A client that goes away mid-request takes the upstream request with it (not after a complete answer:
    // its socket is back in the keep-alive pool by then).
    res.on('close', () => {
      if (!res.writableFinished) upstreamReq.destroy();
    });
    if (body) upstreamReq.end(body);
    else req.pipe(upstreamReq);
  };

  /** Checks a write to `target`: create, get on each source, and delete when it replaces an existing object. */
  const checkWrite = async (
    target: ObjectRef,
    sources: readonly ObjectRef[],
    query: URLSearchParams,
  ): Promise<boolean> => {
    const resource = objectResource(target.bucket, target.object);
    demand({ permission: 'storage.objects.create', resource }, target.bucket);
    for (const source of sources)
      demand(
        { permission: 'storage.objects.get', resource: objectResource(source.bucket, source.object) },
        source.bucket,
      );
    return demandReplace(target, query);
  };

  /**
   * Writing over an existing object also needs storage.objects.delete; in precondition-first order a failing
   * precondition goes to the upstream (its 412) before the permission is looked at. True when the target exists.
   */
  const demandReplace = async (target: ObjectRef, query: URLSearchParams): Promise<boolean> => {
    const resource = objectResource(target.bucket, target.object);
    const found = await existing(target);
    const preconditionWins = order === 'precondition-first' && found && preconditionFails(query, found);
    if (found && !allows(policy, 'storage.objects.delete', resource) && !preconditionWins)
      throw new Refusal(
        deniedMessage(policy.serviceAccount, { permission: 'storage.objects.delete', resource }),
      );
    return found !== undefined;
  };

  const handleWrite = async (
    req: IncomingMessage,
    res: ServerResponse,
    route: Extract<Route, { kind: 'write' }>,
    query: URLSearchParams,
  ): Promise<void> => {
    const buffered = route.nameFrom !== 'query' || route.sourcesFromBody;
    const body = buffered ? await readBody(req) : undefined;
    let object = route.object;
    if (object === undefined && body) {
      const metadata =
        route.nameFrom === 'multipart'
          ? multipartMetadata(body, req.headers['content-type'])
          : parseJson(body);
      const name = jsonField(metadata, 'name');
      if (typeof name === 'string' && name !== '') object = name;
    }
    if (object === undefined) {
      count('other', req);
      throw new Refusal(
        `IAM proxy: could not classify ${req.method} ${req.url}: an upload that names no object`,
      );
    }
    let sources = route.sources;
    if (route.sourcesFromBody) {
      const listed = body && jsonField(parseJson(body), 'sourceObjects');
      sources = (Array.isArray(listed) ? listed : []).map((s) => ({
        bucket: route.bucket,
        object: scalar(jsonField(s, 'name')),
      }));
    }
    const target = { bucket: route.bucket, object };
    let replaces: boolean;
    try {
      replaces = await checkWrite(target, sources, query);
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      // The class of a refused write: an overwrite if the target is there.
      count((await existing(target).catch(() => undefined)) ? 'overwrite' : 'create', req, object);
      error.body = body;
      throw error;
    }
    count(replaces ? 'overwrite' : 'create', req, object);
    forward(req, res, body, (status, headers) => {
      if (!route.resumable || status < 200 || status >= 300 || typeof headers.location !== 'string') return;
      const uploadId = new URLSearchParams(headers.location.split('?')[1] ?? '').get('upload_id');
      if (uploadId) sessions.set(uploadId, { ...target, query });
    });
  };

  const handleSession = async (
    req: IncomingMessage,
    res: ServerResponse,
    route: Extract<Route, { kind: 'session' }>,
  ): Promise<void> => {
    const session = sessions.get(route.uploadId);
    count(route.cancel ? 'other' : 'uploadData', req);
    if (!session)
      throw new Refusal(
        `IAM proxy: could not classify ${req.method} ${req.url}: an upload session not started through this proxy`,
      );
    if (!route.cancel) {
      // The target may have appeared since the session started: the upload would replace it.
      await demandReplace(session, session.query);
    }
    forward(req, res, undefined, (status) => {
      if (route.cancel || status === 200 || status === 201) sessions.delete(route.uploadId);
    });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = req.url ?? '/';
    const route = classify(req.method ?? 'GET', path, req.headers);
    const query = new URL(path, 'http://proxy.invalid').searchParams;
    switch (route.kind) {
      case 'unclassified':
        count('other', req);
        throw new Refusal(
          `IAM proxy: could not classify ${req.method} ${path} (${route.reason}); refused so that nothing passes unchecked`,
        );
      case 'checked':
        count(route.class, req);
        for (const check of route.checks) demand(check, route.bucket);
        forward(req, res, undefined);
        return;
      case 'write':
        return handleWrite(req, res, route, query);
      case 'session':
        return handleSession(req, res, route);
    }
  };

  const refuse = async (req: IncomingMessage, res: ServerResponse, refusal: Refusal): Promise<void> => {
    if (refusal.bucket !== undefined && !(await bucketExists(refusal.bucket))) {
      forward(req, res, refusal.body);
      return;
    }
    counts.refused += 1;
    req.resume(); // read what is left of the body, so the connection stays usable
    const body = errorBody(403, refusal.message, 'forbidden');
    res.writeHead(403, {
      'content-type': 'application/json; charset=UTF-8',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  };

  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    handle(req, res)
      .catch(async (error: unknown) => {
        if (error instanceof Refusal) return refuse(req, res, error);
        throw error;
      })
      .catch((error: unknown) => {
        if (res.headersSent) {
          res.destroy();
          return;
        }
        const body = errorBody(
          502,
          `IAM proxy: ${error instanceof Error ? error.message : String(error)}`,
          'backendError',
        );
        res.writeHead(502, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      });
  });
  // Longer than the clients' idle keep-alive sockets live, so a reused socket is never closed under a request.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
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
  url = `http://${options.advertisedHost ?? '127.0.0.1'}:${address.port}`;

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
    counts: () => ({ ...counts }),
    requests: () => [...log],
    reset() {
      counts = emptyCounts();
      log = [];
    },
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
        agent.destroy();
      })),
  };
}
