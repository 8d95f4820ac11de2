/**
 * What the backfill does with each listed object, by pass:
 *
 *   sources, real run — the object as a finalize event through the pipeline (only missing renditions are written);
 *                       the outcome counted, logged, and told to the metrics.
 *   sources, dry run  — pipeline.plan(): metadata reads only; the outcome-to-be counted, and its cost estimated.
 *   renditions (PRUNE) — judged by its metadata (prune.ts); a retired one deleted, pinned to its generation (in a
 *                       dry run only counted), and the source made again when the retired one sat at a current name.
 *
 * Filtered events (a folder placeholder, an empty object, …) settle without a storage request, so they take no
 * turn of the pacer; everything else goes through `attempts`.
 */
import { idempotencyKey, type StorageAdapter, type StoredObject } from '@thumbnailer/core';
import type { Logger } from 'pino';
import type { Attempted, Attempts } from './attempts.js';
import type { Phase, Tally } from './checkpoint.js';
import type { Estimator } from './costs.js';
import type { ObjectEvent } from './events.js';
import type { SkipReason, WorkerMetrics } from './metrics.js';
import { errorOutcome, logOutcome, type Outcome } from './outcomes.js';
import { filterEvent, type FinalizePlan, type Pipeline } from './pipeline.js';
import { pruneVerdict, type PruneScope } from './prune.js';

/** What a dry run found, per outcome-to-be. */
export interface DryRunCounts {
  /** Sources with renditions to write, and how many renditions in all. */
  missing: number;
  renditionsMissing: number;
  complete: number;
  /** Content type not an image's: a real run downloads each to be sure. */
  notImageByType: number;
  /** Skipped without a download, by reason (under the prefix, a folder placeholder, empty, …). */
  skipped: Partial<Record<SkipReason, number>>;
  /** PRUNE: retired renditions that would be deleted (and of them, made again at the same name). */
  retired: number;
  remade: number;
}

export function emptyDryRunCounts(): DryRunCounts {
  return {
    missing: 0,
    renditionsMissing: 0,
    complete: 0,
    notImageByType: 0,
    skipped: {},
    retired: 0,
    remade: 0,
  };
}

export interface ReconcileContext {
  storage: Pick<StorageAdapter, 'bucketName' | 'stat' | 'delete'>;
  pipeline: Pick<Pipeline, 'process' | 'plan'>;
  /** BUCKETS and THUMBNAIL_PREFIX, for the pipeline's own filter. */
  buckets: ReadonlySet<string>;
  scope: PruneScope;
  attempts: Attempts;
  tally: Tally;
  counts: DryRunCounts;
  estimator: Estimator;
  /** Counts a failure and keeps the object for a resumed attempt. */
  fail(object: Pick<StoredObject, 'name' | 'generation'>, failure: Outcome, phase: Phase): void;
  metrics?: Pick<WorkerMetrics, 'event'> | undefined;
  logger: Logger;
  /** On a terminal the progress bar tells the story: processed and duplicate objects get no line of their own. */
  quiet: boolean;
}

export type Handler = (object: StoredObject) => Promise<void>;

export function eventFor(object: StoredObject): ObjectEvent {
  return {
    via: 'backfill',
    kind: 'finalize',
    bucket: object.bucket,
    name: object.name,
    generation: object.generation,
    eventTime: undefined,
    object: {
      size: object.size,
      ...(object.contentType ? { contentType: object.contentType } : {}),
      ...(object.timeCreated ? { timeCreated: object.timeCreated } : {}),
      metadata: object.metadata,
    },
  };
}

const retryOf = (outcome: Outcome): Outcome | undefined => (outcome.status === 'retry' ? outcome : undefined);

export function createHandlers(ctx: ReconcileContext, dryRun: boolean): Record<Phase, Handler> {
  const { pipeline, attempts, tally, counts, estimator, logger } = ctx;
  const uri = (name: string) => `gs://${ctx.storage.bucketName}/${name}`;
  const isFree = (event: ObjectEvent) =>
    filterEvent(event, ctx.buckets, ctx.scope.thumbnailPrefix) !== undefined;
  const process = (event: ObjectEvent, key: string): Promise<Attempted<Outcome>> => {
    const work = () => pipeline.process(event).catch((err: unknown) => errorOutcome(err, key));
    return attempts.run(key, work, retryOf);
  };

  async function fillSource(object: StoredObject): Promise<void> {
    const event = eventFor(object);
    const key = idempotencyKey(event.bucket, event.name, event.generation);
    const result = isFree(event) ? { ok: await pipeline.process(event) } : await process(event, key);
    const outcome = 'failed' in result ? result.failed : result.ok;
    ctx.metrics?.event('backfill', outcome);
    if (outcome.status === 'processed') tally.processed += 1;
    else if (outcome.status === 'duplicate') tally.duplicate += 1;
    else if (outcome.status === 'skipped') tally.skipped += 1;
    else return ctx.fail(object, outcome, 'sources');
    if (!(ctx.quiet && (outcome.status === 'processed' || outcome.status === 'duplicate')))
      logOutcome(logger, outcome, { via: 'backfill', object: uri(event.name) });
  }

  async function planSource(object: StoredObject): Promise<void> {
    const event = eventFor(object);
    const key = idempotencyKey(event.bucket, event.name, event.generation);
    const result: Attempted<FinalizePlan> = isFree(event)
      ? { ok: await pipeline.plan(event) }
      : await attempts.run(key, () => pipeline.plan(event));
    if ('failed' in result) return ctx.fail(object, result.failed, 'sources');
    const planned = result.ok;
    estimator.source(planned, object.size);
    if (planned.status === 'skipped') counts.skipped[planned.code] = (counts.skipped[planned.code] ?? 0) + 1;
    else if (planned.status === 'complete') counts.complete += 1;
    else if (planned.status === 'not_image_by_type') counts.notImageByType += 1;
    else {
      counts.missing += 1;
      counts.renditionsMissing += planned.missing.length;
    }
    logger.debug({ object: uri(event.name), plan: planned }, 'dry run: planned');
  }

  async function pruneRendition(object: StoredObject): Promise<void> {
    const verdict = pruneVerdict(object, ctx.scope);
    if (verdict.action === 'keep') return;
    if (dryRun) {
      counts.retired += 1;
      if (verdict.remake) counts.remade += 1;
      estimator.prune();
      logger.debug(
        { object: uri(object.name), why: verdict.why },
        'dry run: would delete a retired rendition',
      );
      return;
    }
    const deleted = await attempts.run(uri(object.name), () =>
      ctx.storage.delete(object.name, object.generation),
    );
    if ('failed' in deleted) return ctx.fail(object, deleted.failed, 'renditions');
    // A newer object at that name (the precondition failed) is not the one judged: it stays.
    if (deleted.ok.status === 'precondition_failed') return;
    tally.pruned += 1;
    logger.info(
      {
        object: uri(object.name),
        rendition: object.metadata.rendition ?? null,
        renditionSpec: object.metadata.renditionSpec ?? null,
        why: verdict.why,
      },
      'retired rendition deleted',
    );
    if (!verdict.remake) return;
    const { name, generation } = verdict.source;
    const source = await attempts.run(uri(name), () => ctx.storage.stat(name, generation));
    if ('failed' in source) return ctx.fail(verdict.source, source.failed, 'renditions');
    if (source.ok === undefined) return; // the source is gone: nothing to make
    const event = eventFor(source.ok);
    const made = await process(event, idempotencyKey(event.bucket, event.name, event.generation));
    if ('failed' in made) return ctx.fail(verdict.source, made.failed, 'renditions');
    if (made.ok.status === 'processed') tally.remade += 1;
    logOutcome(logger, made.ok, { via: 'backfill', object: uri(event.name) });
  }

  return { sources: dryRun ? planSource : fillSource, renditions: pruneRendition };
}
