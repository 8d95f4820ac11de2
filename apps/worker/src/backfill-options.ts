/**
 * What a backfill task is given (BackfillOptions, filled in by backfill-main.ts from the job's configuration), and
 * the same with its defaults, the pacer and the means to stop (TaskRun), as every stage of the run reads it.
 */
import type { RenditionSpec, StorageAdapter } from '@thumbnailer/core';
import type { Logger } from 'pino';
import type { InputFolder } from './config.js';
import type { WorkerMetrics } from './metrics.js';
import { createPacer, type Pacer } from './pacing.js';
import type { Pipeline } from './pipeline.js';

export type BackfillStorage = Pick<
  StorageAdapter,
  'bucketName' | 'list' | 'folders' | 'stat' | 'download' | 'createOnly' | 'replace' | 'delete'
>;

export interface BackfillOptions {
  /** The input bucket's adapter (listing, checkpoints, prune deletes). */
  storage: BackfillStorage;
  input: InputFolder;
  thumbnailPrefix: string;
  renditions: readonly RenditionSpec[];
  /** BUCKETS: what the pipeline serves (its filter is applied before pacing, so skips cost no rate). */
  buckets: ReadonlySet<string>;
  taskIndex: number;
  taskCount: number;
  /** CLOUD_RUN_EXECUTION: the retries of a task share its checkpoint. */
  execution: string;
  dryRun?: boolean;
  prune?: boolean;
  /** Images per second; undefined: unlimited. */
  maxRate?: number;
  /** Objects in flight at once (MAX_CONCURRENCY). */
  concurrency: number;
  pipeline: Pick<Pipeline, 'process' | 'plan'>;
  logger: Logger;
  /** Told of every source's outcome; its counters go into the summary line. */
  metrics?: Pick<WorkerMetrics, 'event' | 'summary'>;
  /** Where progress goes: a TTY gets a progress bar, anything else JSON lines. */
  progress?: NodeJS.WritableStream & { isTTY?: boolean };
  progressIntervalMs?: number;
  /** Attempts per object for transient failures before it counts as failed (default 3). */
  attempts?: number;
  /** Between attempts for transient failures other than storage pushing back (default 1 s × attempt). */
  retryDelayMs?: number;
  /** A checkpoint is written at most this often … (default 5 s) */
  checkpointIntervalMs?: number;
  /** … or after this many objects settle, whichever comes first (default 1000). */
  checkpointObjects?: number;
  /** How long tasks other than 0 wait for task 0's plan before making one (default 15 s). */
  planWaitMs?: number;
  /** Listed objects held ahead of the work (default 20,000). */
  readAheadObjects?: number;
  /** Aborted: no new object starts; in-flight ones finish; the checkpoint is written. */
  signal?: AbortSignal;
  pacer?: Pacer;
  clock?: () => number;
  /** This process's CPU seconds so far (for the summary). */
  cpuSeconds?: () => number;
}

/** One task's run as every stage reads it: the options with their defaults, and the means to stop it. */
export interface TaskRun {
  options: BackfillOptions;
  dryRun: boolean;
  prune: boolean;
  clock: () => number;
  started: number;
  /** A terminal: the progress bar tells the story. */
  tty: boolean;
  pacer: Pacer;
  abort: AbortController;
  stopping: () => boolean;
}

export function openRun(options: BackfillOptions): TaskRun {
  const clock = options.clock ?? (() => Date.now());
  const started = clock();
  const pacer =
    options.pacer ?? createPacer(options.maxRate === undefined ? {} : { maxRate: options.maxRate });
  const abort = new AbortController();
  options.signal?.addEventListener('abort', () => abort.abort(), { once: true });
  if (options.signal?.aborted) abort.abort();
  return {
    options,
    dryRun: options.dryRun === true,
    prune: options.prune === true,
    clock,
    started,
    tty: options.progress?.isTTY === true,
    pacer,
    abort,
    stopping: () => abort.signal.aborted,
  };
}
