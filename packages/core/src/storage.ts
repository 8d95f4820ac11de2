/**
 * The one thin adapter over an @google-cloud/storage `Bucket`. It turns the answers thumbnailer branches on
 * (412 precondition failed, 404 not found) into typed results, failures that may go away (5xx, 429, refused/reset
 * connections, timeouts, a refused permission) into TransientError, and bounds every request by a deadline, so a
 * stalled call frees its caller instead of holding it. Anything else is rethrown.
 *
 * Retries are the client's: configure `retryOptions` on the Storage client (createStorageClient).
 *
 * Create-only writes and IAM: Cloud Storage treats a write over an existing object as a replacement, which needs
 * `storage.objects.delete` beside `storage.objects.create`. For an identity without delete (the apps' roles), a
 * create-only write that finds the object there may answer 403 instead of 412 (the order of the precondition and
 * the permission check is not documented). Either way the target is read again: present means `exists`.
 */
import {
  Storage,
  type Bucket,
  type File,
  type FileMetadata,
  type StorageOptions,
} from '@google-cloud/storage';
import { PassThrough, type Readable } from 'node:stream';
import type { BufferPool } from './buffers.js';
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

export type CreateResult = { status: 'created'; object: StoredObject } | { status: 'exists' };
export type ReplaceResult = { status: 'written'; object: StoredObject } | { status: 'precondition_failed' };
export type DownloadResult = { status: 'ok'; data: Buffer } | { status: 'gone' };
export type DeleteResult = { status: 'deleted' } | { status: 'precondition_failed' } | { status: 'gone' };

export interface ListOptions {
  /** Objects per list request (at most 1000). */
  pageSize?: number;
  /** Only names ≥ this. */
  startOffset?: string;
  /** Only names < this. */
  endOffset?: string;
}

/** The Cloud Storage requests the adapter makes, by kind (the `op` label of `thumbnailer_storage_requests_total`). */
export const STORAGE_OPS = ['metadata_read', 'media_read', 'list', 'create', 'delete'] as const;
/** One Cloud Storage request: a metadata read (stat), a media download, a listing page, an insert, a delete. */
export type StorageOp = (typeof STORAGE_OPS)[number];

export interface StorageAdapterOptions {
  /** Longest one storage call may take before it fails as transient (default 30 s). */
  deadlineMs?: number;
  /** Told of every request the adapter sends, whatever its answer (for metrics). */
  onRequest?: (op: StorageOp) => void;
}

const DEFAULT_DEADLINE_MS = 30_000;

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

/** The HTTP status a storage client error carries, if any (`code`, `status` or `response.status`). */
export function storageErrorStatus(err: unknown): number | undefined {
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
  const status = storageErrorStatus(err);
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

function detail(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Rethrows `err` as TransientError when it may go away — 'storage_unavailable' (5xx, 429, network, timeouts) or
 * 'storage_forbidden' (403: a missing permission is the deployment's to fix; the work is retried, not dropped) —
 * and anything else unchanged.
 */
export function rethrowStorageError(err: unknown, what: string): never {
  if (err instanceof TransientError) throw err;
  if (storageErrorStatus(err) === 403) {
    throw new TransientError('storage_forbidden', `Cloud Storage refused ${what}: ${detail(err)}`, {
      cause: err,
    });
  }
  if (isTransientStorageError(err)) {
    throw new TransientError(
      'storage_unavailable',
      `Cloud Storage unavailable during ${what}: ${detail(err)}`,
      {
        cause: err,
      },
    );
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

/** The stream's bytes in one buffer: a new one, or (with `pool`) a view of a pooled one, grown as needed. */
async function collect(stream: Readable, pool: BufferPool | undefined): Promise<Buffer> {
  if (!pool) {
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }
  // The answer's Content-Length sizes the buffer before the first byte: grown by doubling from 1 MiB, a 5.6 MB photo
  // was copied once more for every step (7 MB of copying besides its own 5.6).
  let expected = 0;
  stream.once('response', (response: { headers?: Record<string, unknown> }) => {
    const length = Number(response.headers?.['content-length']);
    if (Number.isSafeInteger(length) && length > 0 && !response.headers?.['content-encoding'])
      expected = length;
  });
  let target: Buffer | undefined;
  let length = 0;
  try {
    for await (const chunk of stream) {
      const bytes = chunk as Buffer;
      target ??= pool.take(Math.max(expected, bytes.length));
      if (length + bytes.length > target.length) {
        const bigger = pool.take(Math.max(2 * target.length, length + bytes.length));
        target.copy(bigger, 0, 0, length);
        pool.give(target);
        target = bigger;
      }
      bytes.copy(target, length);
      length += bytes.length;
    }
  } catch (err) {
    if (target) pool.give(target);
    throw err;
  }
  return target ? target.subarray(0, length) : Buffer.alloc(0);
}

export class StorageAdapter {
  readonly #deadlineMs: number;
  readonly #onRequest: (op: StorageOp) => void;

  constructor(
    readonly bucket: Bucket,
    options: StorageAdapterOptions = {},
  ) {
    this.#deadlineMs = options.deadlineMs ?? DEFAULT_DEADLINE_MS;
    this.#onRequest = options.onRequest ?? (() => undefined);
  }

  get bucketName(): string {
    return this.bucket.name;
  }

  private file(name: string, generation?: string | number): File {
    return generation === undefined
      ? this.bucket.file(name)
      : this.bucket.file(name, { generation: Number(generation) });
  }

  /**
   * Runs one storage call under the deadline. `onTimeout` cancels what can be cancelled (a download stream);
   * whatever cannot be is abandoned to the client's own request timeout, and the caller moves on either way.
   */
  private async bounded<T>(
    op: StorageOp,
    what: string,
    call: () => Promise<T>,
    onTimeout?: () => void,
  ): Promise<T> {
    this.#onRequest(op);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        onTimeout?.();
        reject(
          new TransientError(
            'storage_unavailable',
            `Cloud Storage did not finish ${what} within ${this.#deadlineMs} ms`,
          ),
        );
      }, this.#deadlineMs);
    });
    try {
      return await Promise.race([call(), deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Create-only write (ifGenerationMatch 0, one multipart request). An object already there → `{status:'exists'}`,
   * whether Cloud Storage says so with 412 or, for an identity without delete, with 403 (then the target is read
   * again to tell "exists" from a real refusal).
   */
  async createOnly(name: string, data: Buffer | string, options: WriteOptions = {}): Promise<CreateResult> {
    try {
      return { status: 'created', object: await this.write(name, data, options, 0) };
    } catch (err) {
      const status = storageErrorStatus(err);
      if (status === 412) return { status: 'exists' };
      if (status === 403 && (await this.stat(name)) !== undefined) return { status: 'exists' };
      rethrowStorageError(err, `the write of ${name}`);
    }
  }

  /**
   * A write that replaces the object only while its generation is `ifGenerationMatch` (`'0'`: only while there is
   * none): for small state objects a job rewrites in place, such as the backfill's checkpoints. Replacing needs
   * `storage.objects.delete` on the name. Another writer got there first (412) → `{status:'precondition_failed'}`.
   */
  async replace(
    name: string,
    data: Buffer | string,
    options: WriteOptions & { ifGenerationMatch: string },
  ): Promise<ReplaceResult> {
    try {
      return {
        status: 'written',
        object: await this.write(name, data, options, Number(options.ifGenerationMatch)),
      };
    } catch (err) {
      if (storageErrorStatus(err) === 412) return { status: 'precondition_failed' };
      rethrowStorageError(err, `the write of ${name}`);
    }
  }

  /** One multipart insert under a generation precondition; the caller maps the failures. */
  private async write(
    name: string,
    data: Buffer | string,
    options: WriteOptions,
    ifGenerationMatch: number,
  ): Promise<StoredObject> {
    const file = this.file(name);
    await this.bounded('create', `the write of ${name}`, () =>
      file.save(data, {
        resumable: false,
        contentType: options.contentType,
        metadata: options.metadata ? { metadata: options.metadata } : undefined,
        preconditionOpts: { ifGenerationMatch },
      }),
    );
    // save() records the insert response on the File; read it back only if it did not.
    if (file.metadata.generation !== undefined) return toStoredObject(this.bucketName, file.metadata);
    const found = await this.stat(name);
    if (!found)
      throw new TransientError('storage_unavailable', `${name} vanished right after it was written`);
    return found;
  }

  /**
   * The bytes of exactly this generation; deleted or superseded (404) → `{status:'gone'}`. With `pool`, the bytes
   * are a view of one of its buffers: give it back (`pool.give(data)`) once nothing reads them.
   */
  async download(name: string, generation: string | number, pool?: BufferPool): Promise<DownloadResult> {
    const what = `the download of ${name}#${generation}`;
    let stream: Readable | undefined;
    try {
      const data = await this.bounded(
        'media_read',
        what,
        () => collect((stream = this.file(name, generation).createReadStream()), pool),
        () => stream?.destroy(),
      );
      return { status: 'ok', data };
    } catch (err) {
      if (storageErrorStatus(err) === 404) return { status: 'gone' };
      rethrowStorageError(err, what);
    }
  }

  /** Metadata of the live object (or of one generation); undefined when there is none. */
  async stat(name: string, generation?: string | number): Promise<StoredObject | undefined> {
    const what = `the metadata read of ${name}`;
    try {
      const [metadata] = await this.bounded('metadata_read', what, () =>
        this.file(name, generation).getMetadata(),
      );
      return toStoredObject(this.bucketName, metadata);
    } catch (err) {
      if (storageErrorStatus(err) === 404) return undefined;
      rethrowStorageError(err, what);
    }
  }

  /** Deletes the live object, only while its generation is `ifGenerationMatch` when given. */
  async delete(name: string, ifGenerationMatch?: string): Promise<DeleteResult> {
    const what = `the delete of ${name}`;
    try {
      await this.bounded('delete', what, () =>
        this.file(name).delete(
          ifGenerationMatch === undefined ? {} : { ifGenerationMatch: Number(ifGenerationMatch) },
        ),
      );
      return { status: 'deleted' };
    } catch (err) {
      const status = storageErrorStatus(err);
      if (status === 412) return { status: 'precondition_failed' };
      if (status === 404) return { status: 'gone' };
      rethrowStorageError(err, what);
    }
  }

  /**
   * Every live object whose name starts with `prefix` (and lies in [startOffset, endOffset) when given), page by
   * page, in name order.
   */
  async *list(prefix: string, options: ListOptions = {}): AsyncGenerator<StoredObject> {
    const { pageSize = 1000, startOffset, endOffset } = options;
    let pageToken: string | undefined;
    do {
      const what = `the listing of ${prefix}`;
      let files: File[];
      let next: { pageToken?: string } | null | undefined;
      try {
        [files, next] = await this.bounded('list', what, () =>
          this.bucket.getFiles({
            prefix,
            autoPaginate: false,
            maxResults: pageSize,
            pageToken,
            ...(startOffset ? { startOffset } : {}),
            ...(endOffset ? { endOffset } : {}),
          }),
        );
      } catch (err) {
        rethrowStorageError(err, what);
      }
      for (const file of files) yield toStoredObject(this.bucketName, file.metadata);
      pageToken = next?.pageToken;
    } while (pageToken);
  }

  /** The "folders" right under `prefix` (names up to the next `/`), from delimiter listings: no object read. */
  async folders(prefix: string): Promise<string[]> {
    const found: string[] = [];
    let pageToken: string | undefined;
    do {
      const what = `the folder listing of ${prefix}`;
      let response: unknown;
      try {
        [, , response] = await this.bounded('list', what, () =>
          this.bucket.getFiles({ prefix, delimiter: '/', autoPaginate: false, maxResults: 1000, pageToken }),
        );
      } catch (err) {
        rethrowStorageError(err, what);
      }
      const page = (response ?? {}) as { prefixes?: unknown; nextPageToken?: unknown };
      if (Array.isArray(page.prefixes))
        for (const p of page.prefixes) if (typeof p === 'string') found.push(p);
      pageToken =
        typeof page.nextPageToken === 'string' && page.nextPageToken !== '' ? page.nextPageToken : undefined;
    } while (pageToken);
    return [...new Set(found)].sort();
  }

  /**
   * The bytes of exactly this generation as a stream, for passing on as they arrive (no end-to-end checksum: a
   * mismatch found at the end could not be taken back from a reader anyway). A transient failure is emitted as
   * TransientError('storage_unavailable'); anything else (a 404 once the generation is gone) as the client's error.
   */
  openReadStream(name: string, generation: string | number): Readable {
    this.#onRequest('media_read');
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
