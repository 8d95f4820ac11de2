/**
 * Slow clients cannot starve the uploads. The rules, sized from MAX_UPLOAD_BYTES:
 *
 * - A request earns its place in the upload-slot queue by showing that its body is coming: it must deliver its
 *   first HEAD_BYTES (64 KiB, or all of it when smaller) before it waits for a slot. Those bytes are held for it
 *   (bounded memory per connection) and handed to the multipart parser with the rest.
 * - While its body is being received (before the queue, and again once it holds a slot) it must keep up
 *   MIN_BYTES_PER_SECOND over every RATE_WINDOW_MS; a body that stops or trickles is answered 408 (where the socket
 *   still lets the answer through) and its connection closed, which gives its slot back at once.
 * - Node's own bounds back this up: headers within HEADERS_TIMEOUT_MS, and the whole request within
 *   `requestTimeoutMs(maxUploadBytes)` (a body of MAX_UPLOAD_BYTES at the minimum rate, plus a minute for the
 *   queue), after which Node answers 408 itself.
 */
import type { Server } from 'node:http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { UploadError } from './errors.js';
import type { UploadSlots } from './slots.js';

export const HEAD_BYTES = 64 * 1024;
export const MIN_BYTES_PER_SECOND = 32 * 1024;
export const RATE_WINDOW_MS = 5_000;
export const HEADERS_TIMEOUT_MS = 20_000;

/** The whole request (queue wait included) of the largest allowed body at the minimum rate, plus a minute. */
export function requestTimeoutMs(maxUploadBytes: number): number {
  return 60_000 + Math.ceil((maxUploadBytes / MIN_BYTES_PER_SECOND) * 1000);
}

/** Applies the server-side bounds (main.ts and the test harness both listen through this). */
export function boundSlowClients(server: Server, maxUploadBytes: number): Server {
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  server.requestTimeout = requestTimeoutMs(maxUploadBytes);
  return server;
}

/** Counts body bytes and calls `onStall` when a window passes with fewer than the minimum rate's worth. */
class BodyMeter {
  #bytes = 0;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(
    private readonly req: Request,
    private readonly onStall: () => void,
  ) {
    req.on('data', (chunk: Buffer) => (this.#bytes += chunk.length));
    req.once('end', () => this.stop());
    this.resume();
  }

  /** Not the client's fault while it waits for a slot: no rate is asked of it meanwhile. */
  pause(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  resume(): void {
    if (this.#timer || this.#stopped || this.req.readableEnded) return;
    this.#bytes = 0;
    this.#timer = setInterval(() => {
      if (this.#bytes < (MIN_BYTES_PER_SECOND * RATE_WINDOW_MS) / 1000) {
        this.stop();
        this.onStall();
      }
      this.#bytes = 0;
    }, RATE_WINDOW_MS);
    this.#timer.unref();
  }

  stop(): void {
    this.#stopped = true;
    this.pause();
  }
}

/** The first `limit` bytes of the body (all of it when shorter), read and paused; undefined if the client left. */
function readHead(req: Request, limit: number): Promise<Buffer[] | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (head: Buffer[] | undefined): void => {
      req.pause();
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
      resolve(head);
    };
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= limit) finish(chunks);
    };
    const onEnd = (): void => finish(chunks);
    const onClose = (): void => finish(undefined);
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('close', onClose);
  });
}

/** Parses the multipart body, the already-read head first: multipart.ts. */
export type BodyParser = (req: Request, res: Response, head: Buffer[], done: (err?: unknown) => void) => void;

/**
 * Receives an upload's body under the rules above: head first, then a slot, then the parser. Calls `next` once:
 * without an error when the body is parsed, with UploadError('too_slow') for a stalled body, or with the parser's
 * error. A request whose client hung up is dropped without an answer (nobody is there to read one).
 */
export function receiveUpload(slots: UploadSlots, parse: BodyParser): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    let settled = false;
    const done = (err?: unknown): void => {
      if (settled) return;
      settled = true;
      meter.stop();
      next(err);
    };
    const meter = new BodyMeter(req, () => {
      res.set('Connection', 'close');
      res.once('finish', () => req.socket.destroySoon());
      done(
        new UploadError(
          'too_slow',
          `The upload was too slow: it must keep up at least ${MIN_BYTES_PER_SECOND / 1024} KB/s. Please try again on a faster connection.`,
        ),
      );
    });
    res.once('close', () => meter.stop());
    void (async () => {
      const head = await readHead(req, HEAD_BYTES);
      if (!head || settled) return;
      meter.pause();
      if (!(await slots.acquire(res)) || settled) return;
      meter.resume();
      parse(req, res, head, done);
    })();
  };
}
