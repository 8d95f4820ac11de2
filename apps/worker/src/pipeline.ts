/**
 * The one pipeline every input goes through:
 * filter → idempotency (in-process map, then the cross-instance claim) → stat + download pinned to the event's
 * generation → createThumbnail → create-only upload → outcome.
 *
 * Settled outcomes (processed, duplicate, skipped) are returned; reasons to try again are thrown
 * (TransientError, RetryLaterError) after the claim is released, and outcomes.ts maps them.
 */
import {
  createThumbnail,
  formatTimestamp,
  idempotencyKey,
  ImageError,
  isUnderPrefix,
  thumbnailObjectName,
  TransientError,
  type ClaimResult,
  type ClaimStore,
  type IdempotencyMap,
  type StorageAdapter,
  type StoredObject,
} from '@thumbnailer/core';
import pLimit, { type LimitFunction } from 'p-limit';
import type { Logger } from 'pino';
import { RetryLaterError } from './errors.js';
import type { ObjectEvent } from './events.js';
import type { Outcome } from './outcomes.js';

export interface PipelineOptions {
  /** The storage adapter and claim store of one bucket; events may name any bucket. */
  bucket(name: string): BucketServices;
  /** The in-process idempotency map (before the cross-instance claim). */
  memo: Pick<IdempotencyMap, 'begin' | 'finish'>;
  thumbnailPrefix: string;
  thumbnailSize: number;
  /** Images processed at once by this instance, whatever the input. */
  maxConcurrency: number;
  logger: Logger;
  /** Aborted on shutdown: no new work starts, it is answered with retry. */
  signal?: AbortSignal;
  clock?: () => Date;
}

export interface BucketServices {
  storage: StorageAdapter;
  claims: Pick<ClaimStore, 'claim' | 'complete' | 'release'>;
}

export interface Pipeline {
  process(event: ObjectEvent): Promise<Outcome>;
  /** Images being worked on right now. */
  readonly active: number;
}

/** `permanent`: a real source refused for good (not an image, corrupt, gone), logged as a warning. */
function skipped(reason: string, key: string, permanent = false): Outcome {
  return permanent ? { status: 'skipped', reason, key, permanent } : { status: 'skipped', reason, key };
}

/** Skip reasons decided from the event alone, before any storage call. */
function filterEvent(event: ObjectEvent, prefix: string): string | undefined {
  if (event.kind !== 'finalize') return `not a finalize event (${event.kind})`;
  if (isUnderPrefix(event.name, prefix)) return `a thumbnail (under ${prefix})`;
  if (event.object.metadata?.thumbnailOf !== undefined) return 'a thumbnail (has thumbnailOf metadata)';
  if (event.name.endsWith('/')) return 'a folder placeholder';
  if (event.object.size === 0) return 'an empty object';
  return undefined;
}

export function createPipeline(options: PipelineOptions): Pipeline {
  const { logger, memo, thumbnailPrefix, thumbnailSize } = options;
  const clock = options.clock ?? (() => new Date());
  const limit: LimitFunction = pLimit(options.maxConcurrency);
  /** Same-key deliveries arriving while one is running wait for it instead of racing it. */
  const running = new Map<string, Promise<Outcome>>();

  function assertServing(): void {
    if (options.signal?.aborted) throw new TransientError('shutting_down', 'the worker is shutting down');
  }

  async function work(event: ObjectEvent, key: string): Promise<Outcome> {
    const services = options.bucket(event.bucket);
    const claimed: ClaimResult = await services.claims.claim(key);
    if (claimed.status === 'done') return { status: 'duplicate', key };
    if (claimed.status === 'held') {
      throw new RetryLaterError(
        'claim_held',
        `${key} is being processed by another instance (claim until ${claimed.until.toISOString()})`,
      );
    }
    const { claim } = claimed;
    try {
      const outcome = await limit(() => {
        assertServing();
        return thumbnail(event, key, services.storage);
      });
      const completed = await services.claims.complete(claim);
      if (completed.status === 'lost')
        logger.warn({ key }, 'the claim expired before completion; the result stands');
      return outcome;
    } catch (err) {
      await services.claims.release(claim).catch((releaseErr: unknown) => {
        logger.warn({ key, err: releaseErr }, 'could not release the claim; it expires with its lease');
      });
      throw err;
    }
  }

  /** The generation's creation time (timeCreated; else the generation itself, microseconds since the epoch). */
  function createdAt(stat: StoredObject): Date {
    return stat.timeCreated ?? new Date(Math.floor(Number(stat.generation) / 1000));
  }

  async function thumbnail(event: ObjectEvent, key: string, storage: StorageAdapter): Promise<Outcome> {
    const { name, generation, bucket } = event;
    const stat = await storage.stat(name, generation);
    if (stat === undefined) return skipped('gone or superseded (generation no longer exists)', key, true);
    if (stat.metadata.thumbnailOf !== undefined)
      return skipped('a thumbnail (has thumbnailOf metadata)', key);
    if (stat.size === 0) return skipped('an empty object', key);
    const downloaded = await storage.download(name, generation);
    if (downloaded.status === 'gone')
      return skipped('gone or superseded (generation no longer exists)', key, true);

    let thumb;
    try {
      thumb = await createThumbnail(downloaded.data, { size: thumbnailSize });
    } catch (err) {
      if (err instanceof ImageError) return skipped(`${err.code}: ${err.message}`, key, true);
      throw err;
    }

    const created = createdAt(stat);
    const target = thumbnailObjectName(thumbnailPrefix, { name, generation, created }, thumb.extension);
    const written = await storage.createOnly(target, thumb.data, {
      contentType: thumb.contentType,
      metadata: { thumbnailOf: `gs://${bucket}/${name}`, sourceGeneration: generation },
    });
    if (written.status === 'exists') return { status: 'duplicate', key };
    const uri = `gs://${bucket}/${target}`;
    logger.info(
      {
        key,
        thumbnail: uri,
        width: thumb.width,
        height: thumb.height,
        format: thumb.format,
        folder: formatTimestamp(created),
        ...(event.eventTime ? { latencyMs: clock().getTime() - event.eventTime.getTime() } : {}),
      },
      'thumbnail written',
    );
    return { status: 'processed', key, thumbnail: uri };
  }

  async function run(event: ObjectEvent, key: string): Promise<Outcome> {
    try {
      const outcome = await work(event, key);
      memo.finish(key, true);
      return outcome;
    } catch (err) {
      memo.finish(key, false);
      throw err;
    }
  }

  return {
    get active() {
      return limit.activeCount;
    },
    async process(event) {
      const key = idempotencyKey(event.bucket, event.name, event.generation);
      const early = filterEvent(event, thumbnailPrefix);
      if (early !== undefined) return skipped(early, key);
      assertServing();

      const state = memo.begin(key);
      if (state === 'done') return { status: 'duplicate', key };
      if (state === 'in-flight') {
        const current = running.get(key);
        if (current === undefined) throw new RetryLaterError('in_flight', `${key} is being processed`);
        const outcome = await current;
        return outcome.status === 'processed' ? { status: 'duplicate', key } : outcome;
      }
      const promise = run(event, key);
      running.set(key, promise);
      try {
        return await promise;
      } finally {
        running.delete(key);
      }
    },
  };
}
