// Forwarding a checked request upstream: hop-by-hop headers dropped, a body the proxy has read sent with its length,
// Location and X-Goog-Upload-URL pointed back at the proxy (so session URLs stay behind it), a 502 when the upstream
// does not answer.
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { request } from 'node:http';
import { sendError } from './bodies.js';
import type { Upstream } from './upstream.js';

/**
 * `body`: what the proxy has read of the request (else the request is piped). `onResponse` sees the upstream's
 * answer first; returning true means it has answered the client itself (and consumed `upstreamRes`).
 */
export type Forward = (
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer | undefined,
  onResponse?: OnResponse,
) => void;

export type OnResponse = (
  status: number,
  headers: IncomingHttpHeaders,
  upstreamRes: IncomingMessage,
) => boolean | void;

const hopByHop = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
]);

function requestHeaders(req: IncomingMessage, body: Buffer | undefined): IncomingHttpHeaders {
  const headers: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(req.headers)) if (!hopByHop.has(name)) headers[name] = value;
  if (body) headers['content-length'] = String(body.length);
  else if (req.headers['transfer-encoding']) headers['transfer-encoding'] = req.headers['transfer-encoding'];
  return headers;
}

/** A Location that points at the upstream (on `upstreamPort`) points at the proxy (`proxyUrl`) instead. */
function rewriteLocation(value: string, upstreamPort: number, proxyUrl: string): string {
  try {
    const target = new URL(value);
    if (
      Number(target.port || 80) === upstreamPort &&
      /^(127\.0\.0\.1|localhost|\[::1\])$/.test(target.hostname)
    )
      return `${proxyUrl}${target.pathname}${target.search}`;
  } catch {
    // not an absolute URL: leave it
  }
  return value;
}

function responseHeaders(
  headers: IncomingHttpHeaders,
  upstreamPort: number,
  proxyUrl: string,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || hopByHop.has(name)) continue;
    out[name] =
      name === 'location' || name === 'x-goog-upload-url'
        ? rewriteLocation(String(value), upstreamPort, proxyUrl)
        : value;
  }
  return out;
}

/** `proxyUrl`: 'http://HOST:PORT', what the clients know the proxy as. */
export function createForwarder(upstream: Upstream, proxyUrl: string): Forward {
  return (req, res, body, onResponse) => {
    const upstreamReq = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: requestHeaders(req, body),
        agent: upstream.agent,
      },
      (upstreamRes) => {
        const status = upstreamRes.statusCode ?? 502;
        if (onResponse?.(status, upstreamRes.headers, upstreamRes) === true) return;
        res.writeHead(status, responseHeaders(upstreamRes.headers, upstream.port, proxyUrl));
        upstreamRes.pipe(res);
      },
    );
    upstreamReq.on('error', () => {
      if (res.headersSent)
        res.destroy(); // mid-body: the client must see a broken response, not a truncated one
      else sendError(res, 502, 'IAM proxy: the storage emulator did not answer', 'backendError');
    });
    // A client that goes away mid-request takes the upstream request with it (not after a complete answer:
    // its socket is back in the keep-alive pool by then).
    res.on('close', () => {
      if (!res.writableFinished) upstreamReq.destroy();
    });
    if (body) upstreamReq.end(body);
    else req.pipe(upstreamReq);
  };
}
