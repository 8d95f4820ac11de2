/**
 * The one thin adapter over an @google-cloud/storage `Bucket`. It turns the answers thumbnailer branches on
 * (412 precondition failed, 404 not found) into typed results, and failures that may go away (5xx, 429,
 * refused/reset connections, timeouts) into TransientError('storage_unavailable'). Anything else is rethrown.
 *
 * Retries are the client's: configure `retryOptions` on the Storage client in main.ts.
 *
 * Emulator difference: fake-gcs-server enforces `ifGenerationMatch` on uploads (createOnly, replace) but ignores
 * preconditions on metadata PATCH and DELETE. Code that needs compare-and-swap uses `replace`.
 */
import {
  Storage,
  type Bucket,
  type File,
  type FileMetadata,
  type StorageOptions,
} from '@google-cloud/storage';
import { PassThrough, type Readable } from 'node:stream';
import { nativeCrc32cValidator } from './crc32c.js';
import { TransientError } from './errors.js';

export interface StoredObject {
  bucket: string;
  name: string;
  generation: string;
  metageneration: string;
  size: number;
  contentType: string | undefined;
  timeCreated: Date | undefined;
  /** Custom metadata (x-goog-meta-*). */
  metadata: Record<string, string>;
}

export interface WriteOptions {
  contentType?: string;
  /** Custom metadata. */
  metadata?: Record<string, string>;
}

export interface Preconditions {
  ifGenerationMatch?: string | number;
  ifMetagenerationMatch?: string | number;
}

export type CreateResult = { status: 'created'; object: StoredObject } | { status: 'exists' };
export type ReplaceResult = { status: 'replaced'; object: StoredObject } | { status: 'precondition_failed' };
export type DownloadResult = { status: 'ok'; data: Buffer } | { status: 'gone' };
export type UpdateResult =
  { status: 'updated'; object: StoredObject } | { status: 'precondition_failed' } | { status: 'gone' };
export type DeleteResult = { status: 'deleted' } | { status: 'precondition_failed' } | { status: 'gone' };

const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** HTTP status of a client error, if it carries one. */
export function httpStatus(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { code?: unknown; status?: unknown; response?: { status?: unknown } };
  for (const candidate of [e.code, e.status, e.response?.status]) {
    if (typeof candidate === 'number') return candidate;
    if (typeof candidate === 'string' && /^\d{3}$/.test(candidate)) return Number(candidate);
  }
  return undefined;
}

/** True for failures worth retrying later: 408, 429, 5xx, network errors and timeouts (also in `cause`). */
export function isTransientStorageError(err: unknown, depth = 0): boolean {
  if (typeof err !== 'object' || err === null || depth > 4) return false;
  const status = httpStatus(err);
  if (status !== undefined) return status === 408 || status === 429 || status >= 500;
  const e = err as { code?: unknown; errno?: unknown; name?: unknown; message?: unknown; cause?: unknown };
  if (typeof e.code === 'string' && TRANSIENT_CODES.has(e.code)) return true;
  if (typeof e.errno === 'string' && TRANSIENT_CODES.has(e.errno)) return true;
  if (e.name === 'AbortError' || e.name === 'TimeoutError') return true;
  if (
    typeof e.message === 'string' &&
    /socket hang up|network timeout|timed? ?out|ECONNREFUSED|ECONNRESET/i.test(e.message)
  ) {
    return true;
  }
  return isTransientStorageError(e.cause, depth + 1);
}

/** Rethrows `err` as TransientError('storage_unavailable') when it is transient, else unchanged. */
export function rethrowStorageError(err: unknown, what: string): never {
  if (err instanceof TransientError) throw err;
  if (isTransientStorageError(err)) {
    const detail = err instanceof Error ? err.message : String(err);
    throw new TransientError('storage_unavailable', `Cloud Storage unavailable during ${what}: ${detail}`, {
      cause: err,
    });
  }
  throw err;
}

function toStoredObject(bucket: string, m: FileMetadata): StoredObject {
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(m.metadata ?? {}))
    if (v !== null && v !== undefined) metadata[k] = String(v);
  return {
    bucket,
    name: String(m.name),
    generation: m.generation === undefined ? '' : String(m.generation),
    metageneration: m.metageneration === undefined ? '' : String(m.metageneration),
    size: Number(m.size ?? 0),
    contentType: m.contentType,
    timeCreated: m.timeCreated ? new Date(m.timeCreated) : undefined,
    metadata,
  };
}

function preconditionQuery(p: Preconditions): Record<string, number> {
  const q: Record<string, number> = {};
  if (p.ifGenerationMatch !== undefined) q.ifGenerationMatch = Number(p.ifGenerationMatch);
  if (p.ifMetagenerationMatch !== undefined) q.ifMetagenerationMatch = Number(p.ifMetagenerationMatch);
  return q;
}

export class StorageAdapter {
  constructor(readonly bucket: Bucket) {}

  get bucketName(): string {
    return this.bucket.name;
  }

  private file(name: string, generation?: string | number): File {
    return generation === undefined
      ? this.bucket.file(name)
      : this.bucket.file(name, { generation: Number(generation) });
  }

  private async write(
    name: string,
    data: Buffer | string,
    options: WriteOptions,
    ifGenerationMatch: number,
  ): Promise<StoredObject | undefined> {
    const file = this.file(name);
    try {
      await file.save(data, {
        resumable: false,
        contentType: options.contentType,
        metadata: options.metadata ? { metadata: options.metadata } : undefined,
        preconditionOpts: { ifGenerationMatch },
      });
    } catch (err) {
      if (httpStatus(err) === 412) return undefined;
      rethrowStorageError(err, `write of ${name}`);
    }
    // save() records the insert response on the File; read it back only if it did not.
    if (file.metadata.generation !== undefined) return toStoredObject(this.bucketName, file.metadata);
    const found = await this.stat(name);
    if (!found)
      throw new TransientError('storage_unavailable', `${name} vanished right after it was written`);
    return found;
  }

  /** Create-only write (ifGenerationMatch 0, one multipart request). An existing object → `{status:'exists'}`. */
  async createOnly(name: string, data: Buffer | string, options: WriteOptions = {}): Promise<CreateResult> {
    const object = await this.write(name, data, options, 0);
    return object ? { status: 'created', object } : { status: 'exists' };
  }

  /** Overwrites `name` only while its live generation is `generation` (compare-and-swap). */
  async replace(
    name: string,
    generation: string,
    data: Buffer | string,
    options: WriteOptions = {},
  ): Promise<ReplaceResult> {
    const object = await this.write(name, data, options, Number(generation));
    return object ? { status: 'replaced', object } : { status: 'precondition_failed' };
  }

  /** The bytes of exactly this generation; deleted or superseded (404) → `{status:'gone'}`. */
  async download(name: string, generation: string | number): Promise<DownloadResult> {
    try {
      const [data] = await this.file(name, generation).download();
      return { status: 'ok', data };
    } catch (err) {
      if (httpStatus(err) === 404) return { status: 'gone' };
      rethrowStorageError(err, `download of ${name}#${generation}`);
    }
  }

  /** Metadata of the live object (or of one generation); undefined when there is none. */
  async stat(name: string, generation?: string | number): Promise<StoredObject | undefined> {
    try {
      const [metadata] = await this.file(name, generation).getMetadata();
      return toStoredObject(this.bucketName, metadata);
    } catch (err) {
      if (httpStatus(err) === 404) return undefined;
      rethrowStorageError(err, `metadata read of ${name}`);
    }
  }

  /** Merges custom metadata into the live object under preconditions. */
  async updateMetadata(
    name: string,
    metadata: Record<string, string>,
    preconditions: Preconditions,
  ): Promise<UpdateResult> {
    try {
      const [updated] = await this.file(name).setMetadata({ metadata }, preconditionQuery(preconditions));
      return { status: 'updated', object: toStoredObject(this.bucketName, updated) };
    } catch (err) {
      const status = httpStatus(err);
      if (status === 412) return { status: 'precondition_failed' };
      if (status === 404) return { status: 'gone' };
      rethrowStorageError(err, `metadata update of ${name}`);
    }
  }

  /** Deletes the live object under preconditions. */
  async delete(name: string, preconditions: Preconditions = {}): Promise<DeleteResult> {
    try {
      await this.file(name).delete(preconditionQuery(preconditions));
      return { status: 'deleted' };
    } catch (err) {
      const status = httpStatus(err);
      if (status === 412) return { status: 'precondition_failed' };
      if (status === 404) return { status: 'gone' };
      rethrowStorageError(err, `delete of ${name}`);
    }
  }

  /** Every live object whose name starts with `prefix`, page by page. */
  async *list(prefix: string, pageSize = 1000): AsyncGenerator<StoredObject> {
    let pageToken: string | undefined;
    do {
      let files: File[];
      let next: { pageToken?: string } | null | undefined;
      try {
        [files, next] = await this.bucket.getFiles({
          prefix,
          autoPaginate: false,
          maxResults: pageSize,
          pageToken,
        });
      } catch (err) {
        rethrowStorageError(err, `listing of ${prefix}`);
      }
      for (const file of files) yield toStoredObject(this.bucketName, file.metadata);
      pageToken = next?.pageToken;
    } while (pageToken);
  }

  /**
   * The bytes of exactly this generation as a stream, for passing on as they arrive (no end-to-end checksum: a
   * mismatch found at the end could not be taken back from a reader anyway). A transient failure is emitted as
   * TransientError('storage_unavailable'); anything else (a 404 once the generation is gone) as the client's error.
   */
  openReadStream(name: string, generation: string | number): Readable {
    const source = this.file(name, generation).createReadStream({ validation: false });
    const out = new PassThrough();
    source.once('error', (err) => {
      out.destroy(
        isTransientStorageError(err)
          ? new TransientError(
              'storage_unavailable',
              `Cloud Storage unavailable during read of ${name}#${generation}: ${err.message}`,
              { cause: err },
            )
          : err,
      );
    });
    out.once('close', () => source.destroy());
    return source.pipe(out);
  }
}

/**
 * A Storage client for an app's main.ts. The client reads `STORAGE_EMULATOR_HOST` itself (its own switch), but
 * takes that value verbatim as its JSON API base URL while uploads go to `<endpoint>/upload/storage/v1`, so
 * metadata, listing and download calls would miss the `/storage/v1` prefix. Deriving the base URL from the
 * endpoint gives the same URL as the client's own default in production, and the right one everywhere else.
 * Checksums are validated with the native CRC32C (crc32c.ts) instead of the client's JavaScript one.
 */
export function createStorageClient(options: StorageOptions = {}): Storage {
  const storage = new Storage({ crc32cGenerator: nativeCrc32cValidator, ...options });
  storage.baseUrl = `${storage.apiEndpoint}/storage/v1`;
  return storage;
}
