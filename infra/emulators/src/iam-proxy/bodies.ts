// Bodies: reading one, the few JSON fields the proxy needs from them (an upload's object name, compose's sources,
// an object's generations), and Cloud Storage's JSON error body the proxy answers with.
import type { IncomingMessage, ServerResponse } from 'node:http';

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The body as JSON, or undefined when it is not JSON. */
export function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

export function jsonField(value: unknown, field: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[field] : undefined;
}

/** fake-gcs-server writes generations as numbers, Cloud Storage as strings: compare them as strings. */
export function scalar(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : '';
}

/** The JSON metadata part of a multipart/related upload body (the Node client's `resumable: false`). */
export function multipartMetadata(body: Buffer, contentType: string | undefined): unknown {
  const boundary = /boundary="?([^";]+)"?/i.exec(contentType ?? '')?.[1];
  if (!boundary) return undefined;
  const delimiter = Buffer.from(`--${boundary}`);
  const first = body.indexOf(delimiter);
  const second = first < 0 ? -1 : body.indexOf(delimiter, first + delimiter.length);
  if (second < 0) return undefined;
  const part = body.subarray(first + delimiter.length, second).toString('utf8');
  const headerEnd = part.indexOf('\r\n\r\n');
  if (headerEnd < 0) return undefined;
  try {
    return JSON.parse(part.slice(headerEnd + 4));
  } catch {
    return undefined;
  }
}

/** Answers with Cloud Storage's JSON error body. */
export function sendError(
  res: ServerResponse,
  code: number,
  message: string,
  reason: 'forbidden' | 'backendError',
  contentType = 'application/json',
): void {
  const body = JSON.stringify({ error: { code, message, errors: [{ message, domain: 'global', reason }] } });
  res.writeHead(code, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
