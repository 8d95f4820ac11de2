/**
 * What the web app does with the bucket: a create-only write that never overwrites, and reads of
 * object metadata. Storage failures that may go away become TransientError('storage_unavailable').
 */
import type { Bucket, File, FileMetadata } from '@google-cloud/storage';
import { TransientError, type ProbeResult, uploadObjectName, withCollisionSuffix } from '@thumbnailer/core';

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

function statusOf(err: unknown): number | string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const { code, status } = err as { code?: unknown; status?: unknown };
  if (typeof code === 'number' || typeof code === 'string') return code;
  if (typeof status === 'number') return status;
  return undefined;
}

export function isPreconditionFailed(err: unknown): boolean {
  return statusOf(err) === 412;
}

export function isNotFound(err: unknown): boolean {
  return statusOf(err) === 404;
}

/** 5xx, 429, timeouts and refused/reset connections → TransientError; anything else unchanged. */
export function asStorageError(err: unknown): unknown {
  const code = statusOf(err);
  const transient =
    (typeof code === 'number' && (code >= 500 || code === 429 || code === 408)) ||
    (typeof code === 'string' && NETWORK_CODES.has(code)) ||
    (err instanceof Error && /socket hang up|network|timed? ?out|ECONNREFUSED|ECONNRESET/i.test(err.message));
  return transient
    ? new TransientError('storage_unavailable', 'Cloud Storage is unavailable', { cause: err })
    : err;
}

export interface StoredObject {
  bucket: string;
  name: string;
  generation: string;
  created: Date;
  contentType: string;
  size: number;
}

export interface StoreOptions {
  /** The client's filename: sanitised into the object name, kept (without control characters) in metadata. */
  originalName: string;
  probe: ProbeResult;
  at: Date;
  /** Collision suffixes tried before giving up. */
  maxAttempts?: number;
}

// C0/C1 control characters, bidi marks, embeddings, overrides and isolates.
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** Control characters and bidirectional overrides removed, length bounded: safe for metadata and display. */
export function printable(text: string, max = 255): string {
  return text.replace(UNPRINTABLE, '').slice(0, max);
}

/**
 * Writes `data` at `<YYYYMMDDTHHZ>/<safe filename>` with a create-only precondition; when the name is taken
 * (412) tries `name-1`, `name-2`, … Never overwrites. contentType comes from the decoded format.
 */
export async function storeUpload(
  bucket: Bucket,
  data: Buffer,
  options: StoreOptions,
): Promise<StoredObject> {
  const base = uploadObjectName(options.originalName, options.at);
  const maxAttempts = options.maxAttempts ?? 50;
  for (let n = 0; n < maxAttempts; n += 1) {
    const file = bucket.file(withCollisionSuffix(base, n));
    try {
      await file.save(data, {
        resumable: false,
        contentType: options.probe.contentType,
        preconditionOpts: { ifGenerationMatch: 0 },
        metadata: {
          contentType: options.probe.contentType,
          metadata: { originalFilename: printable(options.originalName) },
        },
      });
    } catch (err) {
      if (isPreconditionFailed(err)) continue;
      throw asStorageError(err);
    }
    return describe(bucket.name, file, file.metadata, data.length, options.probe.contentType);
  }
  throw new TransientError('storage_unavailable', `Too many uploads named like ${base}; try another name`);
}

function describe(
  bucket: string,
  file: File,
  metadata: FileMetadata,
  size: number,
  contentType: string,
): StoredObject {
  return {
    bucket,
    name: file.name,
    generation: String(metadata.generation ?? ''),
    created: new Date(metadata.timeCreated ?? Date.now()),
    contentType: metadata.contentType ?? contentType,
    size: Number(metadata.size ?? size),
  };
}
