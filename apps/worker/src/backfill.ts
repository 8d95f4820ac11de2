/**
 * The backfill job (Cloud Run Jobs): list INPUT_FOLDER, keep this task's shard, run every object through the
 * same idempotent pipeline with bounded concurrency, show progress, and return a summary. A second run does no
 * new work: the pipeline's existence read of each target turns every object into a duplicate (no download).
 */
import { createHash } from 'node:crypto';
import { idempotencyKey, isUnderPrefix, type StorageAdapter, type StoredObject } from '@thumbnailer/core';
import pLimit from 'p-limit';
import type { Logger } from 'pino';
import type { ObjectEvent } from './events.js';
import { errorOutcome, logOutcome, type Outcome } from './outcomes.js';
import type { WorkerMetrics } from './metrics.js';
import type { Pipeline } from './pipeline.js';

export interface BackfillSummary {
  total: number;
  processed: number;
  duplicate: number;
  skipped: number;
  failed: number;
  seconds: number;
}

export interface BackfillOptions {
  /** The input bucket. */
  storage: StorageAdapter;
  prefix: string;
  thumbnailPrefix: string;
  taskIndex: number;
  taskCount: number;
  pipeline: Pipeline;
  logger: Logger;
  /** Told of every object's outcome; its counters go into the summary line. */
  metrics?: Pick<WorkerMetrics, 'event' | 'summary'>;
  concurrency: number;
  /** Where the live progress line goes; a TTY gets a rewritten line, anything else periodic log lines. */
  progress?: NodeJS.WritableStream & { isTTY?: boolean };
  progressIntervalMs?: number;
  /** Attempts per object for transient failures (storage blips) before it counts as failed. */
  attempts?: number;
  retryDelayMs?: number;
  clock?: () => number;
}

/** Deterministic shard of an object name: every name lands in exactly one of `count` shards. */
export function shardOf(name: string, count: number): number {
  return createHash('sha256').update(name).digest().readUInt32BE(0) % count;
}

function eventFor(object: StoredObject): ObjectEvent {
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

/** This task's objects in INPUT_FOLDER (thumbnails excluded: they are outputs, not inputs). */
export async function listShard(options: BackfillOptions): Promise<ObjectEvent[]> {
  const events: ObjectEvent[] = [];
  for await (const object of options.storage.list(options.prefix)) {
    if (isUnderPrefix(object.name, options.thumbnailPrefix)) continue;
    if (shardOf(object.name, options.taskCount) !== options.taskIndex) continue;
    events.push(eventFor(object));
  }
  return events;
}

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  return s >= 3600
    ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
    : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

export async function runBackfill(options: BackfillOptions): Promise<BackfillSummary> {
  const { pipeline, logger } = options;
  const clock = options.clock ?? (() => Date.now());
  const attempts = options.attempts ?? 3;
  const retryDelayMs = options.retryDelayMs ?? 1000;
  const started = clock();
  const events = await listShard(options);
  const summary: BackfillSummary = {
    total: events.length,
    processed: 0,
    duplicate: 0,
    skipped: 0,
    failed: 0,
    seconds: 0,
  };
  logger.info(
    {
      prefix: options.prefix,
      bucket: options.storage.bucketName,
      task: options.taskIndex,
      tasks: options.taskCount,
      total: events.length,
    },
    'backfill started',
  );

  const done = () => summary.processed + summary.duplicate + summary.skipped + summary.failed;
  const progressLine = () => {
    const elapsed = (clock() - started) / 1000;
    const rate = elapsed > 0 ? done() / elapsed : 0;
    const eta = rate > 0 ? (summary.total - done()) / rate : Infinity;
    return { done: done(), total: summary.total, rate: Math.round(rate * 10) / 10, eta: formatDuration(eta) };
  };
  const tty = options.progress?.isTTY === true;
  const report = () => {
    const p = progressLine();
    if (tty) {
      options.progress?.write(
        `\r${p.done}/${p.total}  ${p.rate}/s  ETA ${p.eta}  (processed ${summary.processed}, duplicate ${summary.duplicate}, skipped ${summary.skipped}, failed ${summary.failed})   `,
      );
    } else {
      logger.info({ ...p, ...summary }, 'backfill progress');
    }
  };
  const timer = setInterval(report, tty ? 250 : (options.progressIntervalMs ?? 10_000));
  timer.unref();

  async function one(event: ObjectEvent): Promise<void> {
    let outcome: Outcome = { status: 'retry', error: 'not attempted', code: 'internal' };
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        outcome = await pipeline.process(event);
      } catch (err) {
        outcome = errorOutcome(err, idempotencyKey(event.bucket, event.name, event.generation));
      }
      if (outcome.status !== 'retry' || attempt === attempts) break;
      await new Promise((resolve) => setTimeout(resolve, retryDelayMs * attempt));
    }
    // On a terminal the progress line tells the story; only refusals and failures get their own line there.
    const quiet = tty && (outcome.status === 'processed' || outcome.status === 'duplicate');
    if (!quiet)
      logOutcome(logger, outcome, { via: 'backfill', object: `gs://${event.bucket}/${event.name}` });
    options.metrics?.event('backfill', outcome);
    if (outcome.status === 'processed') summary.processed++;
    else if (outcome.status === 'duplicate') summary.duplicate++;
    else if (outcome.status === 'skipped') summary.skipped++;
    else summary.failed++;
  }

  const limit = pLimit(options.concurrency);
  try {
    await Promise.all(events.map((event) => limit(() => one(event))));
  } finally {
    clearInterval(timer);
  }
  summary.seconds = Math.round((clock() - started) / 100) / 10;
  if (tty) {
    report();
    options.progress?.write('\n');
  }
  logger.info(
    { ...summary, ...(options.metrics ? { counters: await options.metrics.summary() } : {}) },
    'backfill summary',
  );
  return summary;
}
