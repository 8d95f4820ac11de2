/**
 * The backfill job (Cloud Run Jobs): reconciles INPUT_FOLDER with RENDITIONS, in the order it runs —
 *
 *   plan     — one folder listing, cut into name ranges per task (listing.ts, shards.ts); the run's plan is agreed
 *              through the bucket (checkpoint.ts), so every task and every retry follows the same one.
 *   resume   — this task's checkpoint: an unfinished one continues after its watermark (and tries its failures
 *              again); a finished one, or none, means a fresh start.
 *   sources  — this task's ranges of INPUT_FOLDER, listed and read ahead, each object through the same idempotent
 *              pipeline as a live event (reconcile.ts: only missing renditions are written; a source whose
 *              renditions all exist costs its metadata reads), at most MAX_CONCURRENCY at once, MAX_RATE per
 *              second, the whole task paused while storage pushes back (pacing.ts, attempts.ts).
 *   renditions (PRUNE) — this task's ranges of THUMBNAIL_PREFIX, each object judged by its metadata (prune.ts) and
 *              the retired ones deleted.
 *   summary  — counts (over every attempt of the task), the storage requests, the CPU time.
 *
 * A dry run (DRY_RUN) lists and checks the same way with pipeline.plan() and writes nothing — no rendition, no
 * plan, no checkpoint — and reports what a real run would do and cost (costs.ts).
 */
import type { RenditionSpec, StorageAdapter, StoredObject } from '@thumbnailer/core';
import type { Logger } from 'pino';
import { createAttempts } from './attempts.js';
import {
  MAX_FAILED_KEPT,
  checkpointFolder,
  createCheckpointStore,
  createCheckpointer,
  emptyTally,
  newPlan,
  runKey,
  Watermark,
  type FailedObject,
  type Phase,
  type Tally,
} from './checkpoint.js';
import type { InputFolder } from './config.js';
import { createEstimator, type RunEstimate } from './costs.js';
import { drain, listRanges, planShares, readAhead } from './listing.js';
import type { WorkerMetrics, WorkerSummary } from './metrics.js';
import { errorOutcome, logOutcome, type Outcome } from './outcomes.js';
import { createPacer, type Pacer } from './pacing.js';
import type { Pipeline } from './pipeline.js';
import { createProgress } from './progress.js';
import { createHandlers, emptyDryRunCounts, type DryRunCounts } from './reconcile.js';
import type { NameRange } from './shards.js';

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

/** What a dry run found, per outcome-to-be, and what a real run would spend on the same objects. */
export interface DryRunReport extends DryRunCounts {
  estimate: RunEstimate;
}

export interface BackfillSummary extends Tally {
  task: number;
  tasks: number;
  dryRun: boolean;
  /** Sources settled in this task's share, over every attempt. */
  total: number;
  resumed: boolean;
  /** Stopped before the end (a signal): the checkpoint says where. */
  interrupted: boolean;
  seconds: number;
  cpuSeconds: number | undefined;
  /** DRY_RUN only. */
  report?: DryRunReport;
  counters?: WorkerSummary;
}

export async function runBackfill(options: BackfillOptions): Promise<BackfillSummary> {
  const { storage, pipeline, logger, input, thumbnailPrefix, taskIndex, taskCount } = options;
  const dryRun = options.dryRun === true;
  const prune = options.prune === true;
  const clock = options.clock ?? (() => Date.now());
  const started = clock();
  const tty = options.progress?.isTTY === true;
  const pacer =
    options.pacer ?? createPacer(options.maxRate === undefined ? {} : { maxRate: options.maxRate });
  const abort = new AbortController();
  options.signal?.addEventListener('abort', () => abort.abort(), { once: true });
  if (options.signal?.aborted) abort.abort();

  // ---- plan ----
  const makePlan = async () =>
    newPlan(
      await planShares(storage, input.prefix, thumbnailPrefix, taskCount),
      prune
        ? await planShares(storage, thumbnailPrefix, `${thumbnailPrefix}.backfill/`, taskCount)
        : undefined,
    );
  const { renditions } = options;
  const run = runKey({
    bucket: storage.bucketName,
    prefix: input.prefix,
    taskCount,
    thumbnailPrefix,
    renditions,
    prune,
  });
  const folder = checkpointFolder(thumbnailPrefix, options.execution, run);
  const store = dryRun ? undefined : createCheckpointStore(storage, folder, taskIndex);
  // Task 0 makes the plan; the others give it a moment before making one themselves (whoever writes first wins).
  const plan = store
    ? (await store.agreePlan(makePlan, taskIndex === 0 ? 0 : (options.planWaitMs ?? 15_000))).plan
    : await makePlan();
  const rangesOf = (phase: Phase): NameRange[] =>
    (phase === 'sources' ? plan.sources : (plan.renditions ?? []))[taskIndex] ?? [];

  // ---- resume ----
  const found = await store?.read();
  const resume =
    found && found.plan === plan.id && !found.complete && found.task === taskIndex ? found : undefined;
  const tally: Tally = resume ? { ...resume.tally } : emptyTally();
  let failedKept: FailedObject[] = resume ? [...resume.failed] : [];
  const phases: Phase[] = prune ? ['sources', 'renditions'] : ['sources'];
  let phase: Phase = resume?.phase ?? 'sources';
  let watermark = new Watermark(resume?.watermark);
  logger.info(
    {
      bucket: storage.bucketName,
      prefix: input.prefix,
      task: taskIndex,
      tasks: taskCount,
      execution: options.execution,
      dryRun,
      prune,
      maxRate: options.maxRate ?? null,
      concurrency: options.concurrency,
      ranges: { sources: rangesOf('sources'), ...(prune ? { renditions: rangesOf('renditions') } : {}) },
      ...(store ? { checkpoint: `${folder}task-${taskIndex}.json` } : {}),
    },
    dryRun ? 'backfill dry run started: nothing will be written' : 'backfill started',
  );
  if (resume) {
    const { watermark: at, failed } = resume;
    logger.info(
      { phase: resume.phase, watermark: at ?? null, ...resume.tally, retrying: failed.length },
      'backfill resumed from its checkpoint',
    );
  }

  // ---- the parts ----
  const checkpointer = createCheckpointer({
    store,
    state: (complete) => ({
      version: 1,
      plan: plan.id,
      task: taskIndex,
      phase,
      ...(watermark.value !== undefined ? { watermark: watermark.value } : {}),
      complete,
      tally: { ...tally },
      failed: failedKept,
      updated: new Date(clock()).toISOString(),
    }),
    ...(options.checkpointIntervalMs !== undefined ? { intervalMs: options.checkpointIntervalMs } : {}),
    ...(options.checkpointObjects !== undefined ? { objects: options.checkpointObjects } : {}),
    logger,
    onConflict: () => abort.abort(),
  });
  const attempts = createAttempts({
    pacer,
    logger,
    ...(options.attempts !== undefined ? { attempts: options.attempts } : {}),
    ...(options.retryDelayMs !== undefined ? { retryDelayMs: options.retryDelayMs } : {}),
    stopping: () => abort.signal.aborted,
  });
  const fail = (object: Pick<StoredObject, 'name' | 'generation'>, failure: Outcome, where: Phase): void => {
    tally.failed += 1;
    if (failedKept.length < MAX_FAILED_KEPT)
      failedKept.push({ phase: where, name: object.name, generation: object.generation });
    logOutcome(logger, failure, { via: 'backfill', object: `gs://${storage.bucketName}/${object.name}` });
  };
  const estimator = createEstimator(renditions.length);
  const counts = emptyDryRunCounts();
  const handlers = createHandlers(
    {
      storage,
      pipeline,
      buckets: options.buckets,
      scope: { bucket: storage.bucketName, inputPrefix: input.prefix, thumbnailPrefix, renditions },
      attempts,
      tally,
      counts,
      estimator,
      fail,
      metrics: options.metrics,
      logger,
      quiet: tty,
    },
    dryRun,
  );

  // ---- progress ----
  const progress = createProgress({
    logger,
    ...(options.progress ? { stream: options.progress } : {}),
    ...(options.progressIntervalMs !== undefined ? { intervalMs: options.progressIntervalMs } : {}),
    clock,
  });
  let listing: { listed: number; finished: boolean } = { listed: 0, finished: false };
  let doneInPhase = 0;
  const shown = (): Record<string, number> =>
    dryRun
      ? {
          missing: counts.missing,
          complete: counts.complete,
          'not an image': counts.notImageByType,
          skipped: Object.values(counts.skipped).reduce((a, b) => a + b, 0),
          ...(prune ? { retired: counts.retired } : {}),
          failed: tally.failed,
        }
      : {
          processed: tally.processed,
          duplicate: tally.duplicate,
          skipped: tally.skipped,
          failed: tally.failed,
          ...(prune ? { pruned: tally.pruned } : {}),
        };
  const showProgress = () =>
    progress.update({
      phase,
      done: doneInPhase,
      listed: listing.listed,
      listing: !listing.finished,
      counts: shown(),
      paused: pacer.paused,
    });
  const progressTimer = setInterval(showProgress, tty ? 250 : 1000);
  progressTimer.unref();

  // ---- the passes ----
  const stopping = () => abort.signal.aborted;
  try {
    // What failed in an earlier attempt is tried again first, as it stands now.
    if (resume && failedKept.length > 0) {
      const retry = failedKept;
      failedKept = [];
      tally.failed -= retry.length;
      for (const f of retry) {
        const object = await storage.stat(f.name, f.generation);
        if (object) await handlers[f.phase](object);
      }
    }
    for (const current of phases.slice(phases.indexOf(phase))) {
      if (stopping()) break;
      if (current !== phase) {
        showProgress(); // the last of the pass before
        phase = current;
        watermark = new Watermark();
        doneInPhase = 0;
        await checkpointer.save();
      }
      const prefix = current === 'sources' ? input.prefix : thumbnailPrefix;
      const ahead = readAhead(
        listRanges(storage, prefix, rangesOf(current), watermark.value, (err, n) =>
          attempts.retryListing(err, n),
        ),
        options.readAheadObjects ?? 20_000,
      );
      listing = ahead;
      const handle = handlers[current];
      await drain(ahead, options.concurrency, stopping, (object) => {
        const ticket = watermark.add(object.name);
        return handle(object)
          .catch((err: unknown) => fail(object, errorOutcome(err), current))
          .finally(() => {
            watermark.settle(ticket);
            doneInPhase += 1;
            checkpointer.settled();
          });
      });
    }
  } catch (err) {
    // A listing that keeps failing: keep the place reached, and let the task fail (Cloud Run retries it).
    await checkpointer.save(false, true);
    throw err;
  } finally {
    checkpointer.stop();
    clearInterval(progressTimer);
    showProgress();
    progress.stop();
  }
  const interrupted = stopping();
  await checkpointer.save(!interrupted, true);
  if (checkpointer.conflict) throw checkpointer.conflict;

  const counters = options.metrics ? await options.metrics.summary() : undefined;
  if (dryRun && counters) estimator.listed(counters.storageRequests.list);
  const summary: BackfillSummary = {
    task: taskIndex,
    tasks: taskCount,
    dryRun,
    total: tally.processed + tally.duplicate + tally.skipped + tally.failed,
    ...tally,
    resumed: resume !== undefined,
    interrupted,
    seconds: Math.round((clock() - started) / 100) / 10,
    cpuSeconds: options.cpuSeconds ? Math.round(options.cpuSeconds() * 100) / 100 : undefined,
    ...(dryRun ? { report: { ...counts, estimate: estimator.total() } } : {}),
    ...(counters ? { counters } : {}),
  };
  logger.info(summary, 'backfill summary');
  return summary;
}
