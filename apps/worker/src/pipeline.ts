/**
 * The one pipeline every input (pull, POST /event, backfill) goes through, as named stages in the order they run:
 *
 *   filter  — decided from the event alone, no storage request: not a finalize, a bucket this worker does not
 *             serve, under THUMBNAIL_PREFIX, carrying thumbnailOf, a folder placeholder, empty.
 *   dedupe  — the same key in flight here waits for it; a key finished here is a duplicate; then the source facts
 *             (from the event, or one metadata read when it carries none) give the target name, and one metadata
 *             read of the target answers a duplicate without downloading or decoding anything.
 *   fetch   — the download pinned to the event's generation; 404 means gone or superseded: skipped.
 *   render  — createThumbnail; an ImageError is a permanent refusal: skipped.
 *   store   — the create-only write at the deterministic name; "exists" means another delivery won: duplicate.
 *
 * Exactly once comes from the deterministic name plus the create-only write alone; there is no lock or marker.
 * Settled outcomes (processed, duplicate, skipped) are returned; reasons to try again are thrown (TransientError)
 * and outcomes.ts maps them. Happy path with an event that carries the object's metadata: three storage requests
 * (one metadata read, one download, one create-only write) and one object written.
 */
import type { Storage } from '@google-cloud/storage';
import {
  CONTENT_TYPES,
  createThumbnail,
  formatTimestamp,
  IdempotencyMap,
  idempotencyKey,
  ImageError,
  isUnderPrefix,
  StorageAdapter,
  thumbnailFormatFor,
  thumbnailObjectName,
  TransientError,
  EXTENSIONS,
  type ImageFormat,
  type Thumbnail,
} from '@thumbnailer/core';
import pLimit, { type LimitFunction } from 'p-limit';
import type { Logger } from 'pino';
import type { WorkerConfig } from './config.js';
import type { ObjectEvent } from './events.js';
import type { Outcome } from './outcomes.js';

/** What the pipeline needs of a bucket's storage adapter (the seam its unit tests fill in memory). */
export type PipelineStorage = Pick<StorageAdapter, 'stat' | 'download' | 'createOnly'>;

export interface PipelineOptions {
  /** The adapter of one bucket (only buckets in `buckets` are ever asked for). */
  storage(bucket: string): PipelineStorage;
  buckets: ReadonlySet<string>;
  thumbnailPrefix: string;
  thumbnailSize: number;
  /** Images processed at once by this instance, whatever the input. */
  maxConcurrency: number;
  logger: Logger;
  /** Aborted on shutdown: no new work starts, it is answered with retry. */
  signal?: AbortSignal;
  clock?: () => Date;
  /** The in-process idempotency map (default: a new bounded one). */
  memo?: Pick<IdempotencyMap, 'begin' | 'finish'>;
}

export interface Pipeline {
  process(event: ObjectEvent): Promise<Outcome>;
  /** Images being worked on right now. */
  readonly active: number;
}

/** What the pipeline knows about the source generation before downloading it. */
interface SourceFacts {
  created: Date;
  /** The format its content type announces (a prediction: the bytes decide). */
  predicted: ImageFormat | undefined;
}

const GONE = 'gone or superseded (generation no longer exists)';
const FORMAT_BY_CONTENT_TYPE = new Map(
  Object.entries(CONTENT_TYPES).map(([format, type]) => [type, format as ImageFormat]),
);

/** `permanent`: a real source refused for good (not an image, corrupt, gone), logged as a warning. */
function skipped(reason: string, key: string, permanent = false): Outcome {
  return permanent ? { status: 'skipped', reason, key, permanent } : { status: 'skipped', reason, key };
}

// ---- filter -------------------------------------------------------------------------------------------

/** Skip reasons decided from the event alone, before any storage call. */
export function filterEvent(
  event: ObjectEvent,
  buckets: ReadonlySet<string>,
  prefix: string,
): string | undefined {
  if (event.kind !== 'finalize') return `not a finalize event (${event.kind})`;
  if (!buckets.has(event.bucket)) return `bucket ${event.bucket} is not served by this worker (BUCKETS)`;
  if (isUnderPrefix(event.name, prefix)) return `a thumbnail (under ${prefix})`;
  if (event.object.metadata?.thumbnailOf !== undefined) return 'a thumbnail (has thumbnailOf metadata)';
  if (event.name.endsWith('/')) return 'a folder placeholder';
  if (event.object.size === 0) return 'an empty object';
  return undefined;
}

// ---- dedupe ---------------------------------------------------------------------------------------------

/**
 * The source generation's creation time and announced format: from the event when it carries the object's
 * metadata, else from one metadata read pinned to the generation (which also catches what the event could not:
 * gone, a thumbnail by its metadata, empty). A string is a skip reason.
 */
async function sourceFacts(
  event: ObjectEvent,
  storage: PipelineStorage,
): Promise<SourceFacts | { skip: string; permanent: boolean }> {
  let { timeCreated, contentType } = event.object;
  if (timeCreated === undefined) {
    const stat = await storage.stat(event.name, event.generation);
    if (stat === undefined) return { skip: GONE, permanent: true };
    if (stat.metadata.thumbnailOf !== undefined)
      return { skip: 'a thumbnail (has thumbnailOf metadata)', permanent: false };
    if (stat.size === 0) return { skip: 'an empty object', permanent: false };
    // Without timeCreated a generation is its creation time in microseconds.
    timeCreated = stat.timeCreated ?? new Date(Math.floor(Number(stat.generation) / 1000));
    contentType = stat.contentType;
  }
  return {
    created: timeCreated,
    predicted: contentType ? FORMAT_BY_CONTENT_TYPE.get(contentType) : undefined,
  };
}

// ---- render ---------------------------------------------------------------------------------------------

async function render(data: Buffer, size: number): Promise<Thumbnail | ImageError> {
  try {
    return await createThumbnail(data, { size });
  } catch (err) {
    if (err instanceof ImageError) return err;
    throw err;
  }
}

// ---- assembly -------------------------------------------------------------------------------------------

export function createPipeline(options: PipelineOptions): Pipeline {
  const { logger, thumbnailPrefix, thumbnailSize, buckets } = options;
  const clock = options.clock ?? (() => new Date());
  const memo = options.memo ?? new IdempotencyMap();
  const limit: LimitFunction = pLimit(options.maxConcurrency);
  /** Same-key deliveries arriving while one is running wait for it instead of racing it. */
  const running = new Map<string, Promise<Outcome>>();

  function assertServing(): void {
    if (options.signal?.aborted) throw new TransientError('shutting_down', 'the worker is shutting down');
  }

  function target(event: ObjectEvent, created: Date, format: ImageFormat): string {
    const { name, generation } = event;
    return thumbnailObjectName(
      thumbnailPrefix,
      { name, generation, created },
      EXTENSIONS[thumbnailFormatFor(format)],
    );
  }

  /** dedupe (in storage) → fetch → render → store, for one key this process is not already working on. */
  async function work(event: ObjectEvent, key: string): Promise<Outcome> {
    assertServing();
    const storage = options.storage(event.bucket);
    const facts = await sourceFacts(event, storage);
    if ('skip' in facts) return skipped(facts.skip, key, facts.permanent);
    if (facts.predicted !== undefined && (await storage.stat(target(event, facts.created, facts.predicted))))
      return { status: 'duplicate', key };

    const downloaded = await storage.download(event.name, event.generation);
    if (downloaded.status === 'gone') return skipped(GONE, key, true);

    const thumb = await render(downloaded.data, thumbnailSize);
    if (thumb instanceof ImageError) return skipped(`${thumb.code}: ${thumb.message}`, key, true);

    const name = target(event, facts.created, thumb.format);
    const written = await storage.createOnly(name, thumb.data, {
      contentType: thumb.contentType,
      metadata: { thumbnailOf: `gs://${event.bucket}/${event.name}`, sourceGeneration: event.generation },
    });
    if (written.status === 'exists') return { status: 'duplicate', key };
    const uri = `gs://${event.bucket}/${name}`;
    logger.info(
      {
        key,
        thumbnail: uri,
        width: thumb.width,
        height: thumb.height,
        format: thumb.format,
        folder: formatTimestamp(facts.created),
        ...(event.eventTime ? { latencyMs: clock().getTime() - event.eventTime.getTime() } : {}),
      },
      'thumbnail written',
    );
    return { status: 'processed', key, thumbnail: uri };
  }

  /** The in-process half of dedupe: one run per key at a time, finished keys remembered (bounded). */
  async function once(event: ObjectEvent, key: string): Promise<Outcome> {
    const state = memo.begin(key);
    if (state === 'done') return { status: 'duplicate', key };
    const current = running.get(key);
    if (state === 'in-flight' && current) {
      const outcome = await current;
      return outcome.status === 'processed' ? { status: 'duplicate', key } : outcome;
    }
    const run = limit(() => work(event, key));
    running.set(key, run);
    try {
      const outcome = await run;
      memo.finish(key, true);
      return outcome;
    } catch (err) {
      memo.finish(key, false);
      throw err;
    } finally {
      running.delete(key);
    }
  }

  return {
    get active() {
      return limit.activeCount;
    },
    async process(event) {
      const key = idempotencyKey(event.bucket, event.name, event.generation);
      const reason = filterEvent(event, buckets, thumbnailPrefix);
      if (reason !== undefined) return skipped(reason, key);
      assertServing();
      return once(event, key);
    },
  };
}

export interface WorkerPipelineDeps {
  storage: Storage;
  config: Pick<
    WorkerConfig,
    'buckets' | 'thumbnailPrefix' | 'thumbnailSize' | 'maxConcurrency' | 'storageTimeoutMs'
  >;
  logger: Logger;
  signal?: AbortSignal;
}

/** The pipeline over a Storage client made in main: one adapter per served bucket. */
export function createWorkerPipeline({ storage, config, logger, signal }: WorkerPipelineDeps): Pipeline {
  const adapters = new Map(
    [...config.buckets].map((bucket) => [
      bucket,
      new StorageAdapter(storage.bucket(bucket), { deadlineMs: config.storageTimeoutMs }),
    ]),
  );
  return createPipeline({
    storage: (bucket) => {
      const adapter = adapters.get(bucket);
      if (!adapter) throw new TypeError(`bucket ${bucket} is not served`);
      return adapter;
    },
    buckets: config.buckets,
    thumbnailPrefix: config.thumbnailPrefix,
    thumbnailSize: config.thumbnailSize,
    maxConcurrency: config.maxConcurrency,
    logger,
    ...(signal ? { signal } : {}),
  });
}
