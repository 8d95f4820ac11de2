/**
 * The one pipeline every input (pull, POST /event, backfill) goes through, as named stages in the order they run:
 *
 *   filter  — decided from the event alone, no storage request: the event kind, a bucket this worker does not
 *             serve, under THUMBNAIL_PREFIX, carrying thumbnailOf, a folder placeholder, empty.
 *   dedupe  — in process: the same key in flight here waits for it; a key finished here is a duplicate.
 *   then, by kind: finalize.ts (dedupe in storage → fetch → render → store) or removal.ts (confirm → find → delete).
 *
 * Exactly once comes from deterministic names plus create-only writes alone; there is no lock or marker object.
 * Settled outcomes (processed, duplicate, removed, skipped) are returned; reasons to try again are thrown
 * (TransientError) and outcomes.ts maps them.
 */
import { availableParallelism } from 'node:os';
import type { Storage } from '@google-cloud/storage';
import {
  BufferPool,
  IdempotencyMap,
  idempotencyKey,
  isUnderPrefix,
  StorageAdapter,
  TransientError,
  type RenditionSpec,
} from '@thumbnailer/core';
import pLimit, { type LimitFunction } from 'p-limit';
import type { Logger } from 'pino';
import type { WorkerConfig } from './config.js';
import type { ObjectEvent } from './events.js';
import { finalize, planFinalize, type FinalizePlan } from './finalize.js';
import type { SkipReason, WorkerMetrics } from './metrics.js';
import { silentNotifier, type Notifier } from './notify.js';
import type { Outcome } from './outcomes.js';
import { removeRenditions } from './removal.js';
import { skipped, type PipelineStorage, type StageContext } from './stages.js';

export type { PipelineStorage } from './stages.js';
export type { FinalizePlan } from './finalize.js';

export interface PipelineOptions {
  /** The adapter of one bucket (only buckets in `buckets` are ever asked for). */
  storage(bucket: string): PipelineStorage;
  buckets: ReadonlySet<string>;
  thumbnailPrefix: string;
  renditions: readonly RenditionSpec[];
  /** Images processed at once by this instance, whatever the input. */
  maxConcurrency: number;
  /**
   * Of those, how many may decode and encode at once (default: the CPU count, at most maxConcurrency). The others
   * download, check and write meanwhile, so the CPUs never wait for storage and never run more renders than
   * they have cores (more would only add switching and cache misses: bench/README.md).
   */
  renderConcurrency?: number;
  logger: Logger;
  /** Where ready / failed / removed events go (default: nowhere). */
  notifier?: Notifier;
  /** Render time and latency (default: not recorded). */
  metrics?: Pick<WorkerMetrics, 'latency' | 'timeRender'>;
  /** Aborted on shutdown: no new work starts, it is answered with retry. */
  signal?: AbortSignal;
  clock?: () => Date;
  /** The in-process idempotency map (default: a new bounded one). */
  memo?: Pick<IdempotencyMap, 'begin' | 'finish'>;
}

export interface Pipeline {
  process(event: ObjectEvent): Promise<Outcome>;
  /**
   * What process() would do with a finalize event, found with metadata reads only — nothing is downloaded,
   * decoded or written (dry runs). Not bounded by MAX_CONCURRENCY: the caller bounds it.
   */
  plan(event: ObjectEvent): Promise<FinalizePlan>;
  /** Images being worked on right now. */
  readonly active: number;
}

const unmeasured: Pick<WorkerMetrics, 'latency' | 'timeRender'> = {
  latency: () => undefined,
  timeRender: (work) => work(),
};

/** Skip reasons decided from the event alone, before any storage call. */
export function filterEvent(
  event: ObjectEvent,
  buckets: ReadonlySet<string>,
  prefix: string,
): { reason: string; code: SkipReason } | undefined {
  if (event.kind === 'archive')
    return { reason: 'archived: a noncurrent version keeps its renditions', code: 'archived' };
  if (event.kind !== 'finalize' && event.kind !== 'delete')
    return { reason: `not a finalize or delete event (${event.kind})`, code: 'not_finalize' };
  if (!buckets.has(event.bucket))
    return {
      reason: `bucket ${event.bucket} is not served by this worker (BUCKETS)`,
      code: 'bucket_not_served',
    };
  if (isUnderPrefix(event.name, prefix))
    return { reason: `a thumbnail (under ${prefix})`, code: 'thumbnail' };
  if (event.object.metadata?.thumbnailOf !== undefined)
    return { reason: 'a thumbnail (has thumbnailOf metadata)', code: 'thumbnail' };
  if (event.name.endsWith('/')) return { reason: 'a folder placeholder', code: 'folder' };
  if (event.kind === 'finalize' && event.object.size === 0)
    return { reason: 'an empty object', code: 'empty' };
  return undefined;
}

/** Download buffers larger than this are not kept for the next image (a 48 MP JPEG is ~15–25 MB). */
const KEPT_BUFFER_BYTES = 32 << 20;

export function createPipeline(options: PipelineOptions): Pipeline {
  const { buckets, thumbnailPrefix } = options;
  const clock = options.clock ?? (() => new Date());
  const memo = options.memo ?? new IdempotencyMap();
  const limit: LimitFunction = pLimit(options.maxConcurrency);
  const cpu: LimitFunction = pLimit(
    Math.min(options.maxConcurrency, options.renderConcurrency ?? availableParallelism()),
  );
  const buffers = new BufferPool({ keep: options.maxConcurrency, maxBytes: KEPT_BUFFER_BYTES });
  /** Same-key deliveries arriving while one is running wait for it instead of racing it. */
  const running = new Map<string, Promise<Outcome>>();

  function assertServing(): void {
    if (options.signal?.aborted) throw new TransientError('shutting_down', 'the worker is shutting down');
  }

  function context(bucket: string): StageContext {
    return {
      storage: options.storage(bucket),
      prefix: thumbnailPrefix,
      renditions: options.renditions,
      notifier: options.notifier ?? silentNotifier,
      metrics: options.metrics ?? unmeasured,
      buffers,
      cpu: (work) => cpu(work),
      logger: options.logger,
      clock,
    };
  }

  async function work(event: ObjectEvent, key: string): Promise<Outcome> {
    assertServing();
    const ctx = context(event.bucket);
    return event.kind === 'delete' ? removeRenditions(ctx, event, key) : finalize(ctx, event, key);
  }

  /** The in-process half of dedupe: one run per key and kind at a time, finished ones remembered (bounded). */
  async function once(event: ObjectEvent, key: string): Promise<Outcome> {
    const memoKey = event.kind === 'delete' ? `${key}#delete` : key;
    const state = memo.begin(memoKey);
    if (state === 'done')
      return event.kind === 'delete' ? { status: 'removed', key, removed: 0 } : { status: 'duplicate', key };
    const current = running.get(memoKey);
    if (state === 'in-flight' && current) {
      const outcome = await current;
      return outcome.status === 'processed' ? { status: 'duplicate', key } : outcome;
    }
    const run = limit(() => work(event, key));
    running.set(memoKey, run);
    try {
      const outcome = await run;
      memo.finish(memoKey, true);
      return outcome;
    } catch (err) {
      memo.finish(memoKey, false);
      throw err;
    } finally {
      running.delete(memoKey);
    }
  }

  return {
    get active() {
      return limit.activeCount;
    },
    async process(event) {
      const key = idempotencyKey(event.bucket, event.name, event.generation);
      const skip = filterEvent(event, buckets, thumbnailPrefix);
      if (skip !== undefined) return skipped(skip.reason, skip.code, key);
      assertServing();
      return once(event, key);
    },
    async plan(event) {
      const key = idempotencyKey(event.bucket, event.name, event.generation);
      const skip = filterEvent(event, buckets, thumbnailPrefix);
      if (skip !== undefined) return { status: 'skipped', ...skip };
      return planFinalize(context(event.bucket), { ...event, kind: 'finalize' }, key);
    },
  };
}

export interface WorkerPipelineDeps {
  storageClient: Storage;
  config: Pick<
    WorkerConfig,
    'buckets' | 'thumbnailPrefix' | 'renditions' | 'maxConcurrency' | 'storageTimeoutMs'
  >;
  logger: Logger;
  notifier?: Notifier;
  metrics?: Pick<WorkerMetrics, 'latency' | 'timeRender' | 'storageRequest'>;
  signal?: AbortSignal;
  /** The in-process idempotency map (default: a new bounded one). */
  memo?: PipelineOptions['memo'];
}

/** The pipeline over a Storage client made in main: one adapter per served bucket. */
export function createWorkerPipeline(deps: WorkerPipelineDeps): Pipeline {
  const { storageClient, config, metrics } = deps;
  const adapters = new Map(
    [...config.buckets].map((bucket) => [
      bucket,
      new StorageAdapter(storageClient.bucket(bucket), {
        deadlineMs: config.storageTimeoutMs,
        ...(metrics ? { onRequest: (op) => metrics.storageRequest(op) } : {}),
      }),
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
    renditions: config.renditions,
    maxConcurrency: config.maxConcurrency,
    logger: deps.logger,
    ...(deps.notifier ? { notifier: deps.notifier } : {}),
    ...(metrics ? { metrics } : {}),
    ...(deps.signal ? { signal: deps.signal } : {}),
    ...(deps.memo ? { memo: deps.memo } : {}),
  });
}
