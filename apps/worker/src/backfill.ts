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
import type { RenditionSpec, StorageAdapter } from '@thumbnailer/core';
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
  type Checkpoint,
  type CheckpointStore,
  type Phase,
  type Plan,
  type Tally,
} from './checkpoint.js';
import type { InputFolder } from './config.js';
import { createEstimator, type Estimator, type RunEstimate } from './costs.js';
import { planShares } from './listing.js';
import type { WorkerMetrics, WorkerSummary } from './metrics.js';
import { logOutcome } from './outcomes.js';
import { createPacer, type Pacer } from './pacing.js';
import { runPasses, type Pass, type PassContext, type TaskState } from './passes.js';
import type { Pipeline } from './pipeline.js';
import { createProgress } from './progress.js';
import { createHandlers, emptyDryRunCounts, type DryRunCounts, type ReconcileContext } from './reconcile.js';
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
  const run = openRun(options);
  const plan = await agreePlan(run);
  const resume = await resumable(run, plan);
  const state = stateFrom(resume);
  logStart(run, plan, resume);
  const work = createWork(run, plan, state);
  const interrupted = await runPasses({
    ...work,
    storage: options.storage,
    passes: passesOf(run, plan),
    state,
    display: createDisplay(run, state, work.counts),
    concurrency: options.concurrency,
    readAheadObjects: options.readAheadObjects ?? 20_000,
    stopping: run.stopping,
  });
  return summarize(run, state, work, { resumed: resume !== undefined, interrupted });
}

/** One task's run as every stage reads it: the options with their defaults, and the means to stop it. */
interface TaskRun {
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

function openRun(options: BackfillOptions): TaskRun {
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

// ---- plan ----

/** The run's plan, and where the task's checkpoint lives (no store in a dry run). */
interface TaskPlan {
  plan: Plan;
  folder: string;
  store: CheckpointStore | undefined;
  rangesOf: (phase: Phase) => NameRange[];
}

async function agreePlan({ options, dryRun, prune }: TaskRun): Promise<TaskPlan> {
  const { storage, input, thumbnailPrefix, taskIndex, taskCount } = options;
  const makePlan = async () =>
    newPlan(
      await planShares(storage, input.prefix, thumbnailPrefix, taskCount),
      prune
        ? await planShares(storage, thumbnailPrefix, `${thumbnailPrefix}.backfill/`, taskCount)
        : undefined,
    );
  const run = runKey({
    bucket: storage.bucketName,
    prefix: input.prefix,
    taskCount,
    thumbnailPrefix,
    renditions: options.renditions,
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
  return { plan, folder, store, rangesOf };
}

/** Sources, then (PRUNE) renditions: each pass with what it lists and this task's ranges of it. */
function passesOf({ options, prune }: TaskRun, { rangesOf }: TaskPlan): Pass[] {
  const phases: Phase[] = prune ? ['sources', 'renditions'] : ['sources'];
  return phases.map((phase) => ({
    phase,
    prefix: phase === 'sources' ? options.input.prefix : options.thumbnailPrefix,
    ranges: rangesOf(phase),
  }));
}

// ---- resume ----

/** This task's checkpoint of this plan, when unfinished: the run continues from it. */
async function resumable(run: TaskRun, { store, plan }: TaskPlan): Promise<Checkpoint | undefined> {
  const found = await store?.read();
  return found && found.plan === plan.id && !found.complete && found.task === run.options.taskIndex
    ? found
    : undefined;
}

function stateFrom(resume: Checkpoint | undefined): TaskState {
  return {
    tally: resume ? { ...resume.tally } : emptyTally(),
    failed: resume ? [...resume.failed] : [],
    phase: resume?.phase ?? 'sources',
    watermark: new Watermark(resume?.watermark),
    listing: { listed: 0, finished: false },
    doneInPhase: 0,
  };
}

function logStart(run: TaskRun, { store, folder, rangesOf }: TaskPlan, resume: Checkpoint | undefined): void {
  const { options, dryRun, prune } = run;
  const { logger, taskIndex } = options;
  logger.info(
    {
      bucket: options.storage.bucketName,
      prefix: options.input.prefix,
      task: taskIndex,
      tasks: options.taskCount,
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
}

// ---- the parts the passes work with ----

interface TaskWork extends Pick<PassContext, 'checkpointer' | 'attempts' | 'fail' | 'handlers'> {
  counts: DryRunCounts;
  estimator: Estimator;
}

function createWork(run: TaskRun, plan: TaskPlan, state: TaskState): TaskWork {
  const { options, pacer, abort } = run;
  const { storage, logger, input, thumbnailPrefix, renditions } = options;
  const checkpointer = createTaskCheckpointer(run, plan, state);
  const attempts = createAttempts({
    pacer,
    logger,
    ...(options.attempts !== undefined ? { attempts: options.attempts } : {}),
    ...(options.retryDelayMs !== undefined ? { retryDelayMs: options.retryDelayMs } : {}),
    stopping: () => abort.signal.aborted,
  });
  const fail: ReconcileContext['fail'] = (object, failure, where) => {
    state.tally.failed += 1;
    if (state.failed.length < MAX_FAILED_KEPT)
      state.failed.push({ phase: where, name: object.name, generation: object.generation });
    logOutcome(logger, failure, { via: 'backfill', object: `gs://${storage.bucketName}/${object.name}` });
  };
  const estimator = createEstimator(renditions.length);
  const counts = emptyDryRunCounts();
  const handlers = createHandlers(
    {
      storage,
      pipeline: options.pipeline,
      buckets: options.buckets,
      scope: { bucket: storage.bucketName, inputPrefix: input.prefix, thumbnailPrefix, renditions },
      attempts,
      tally: state.tally,
      counts,
      estimator,
      fail,
      metrics: options.metrics,
      logger,
      quiet: run.tty,
    },
    run.dryRun,
  );
  return { checkpointer, attempts, fail, handlers, counts, estimator };
}

/** Writes the task's state as its checkpoint (never in a dry run); a conflict stops the run. */
function createTaskCheckpointer(
  { options, clock, abort }: TaskRun,
  { plan, store }: TaskPlan,
  state: TaskState,
) {
  return createCheckpointer({
    store,
    state: (complete) => ({
      version: 1,
      plan: plan.id,
      task: options.taskIndex,
      phase: state.phase,
      ...(state.watermark.value !== undefined ? { watermark: state.watermark.value } : {}),
      complete,
      tally: { ...state.tally },
      failed: state.failed,
      updated: new Date(clock()).toISOString(),
    }),
    ...(options.checkpointIntervalMs !== undefined ? { intervalMs: options.checkpointIntervalMs } : {}),
    ...(options.checkpointObjects !== undefined ? { objects: options.checkpointObjects } : {}),
    logger: options.logger,
    onConflict: () => abort.abort(),
  });
}

// ---- progress ----

function createDisplay(run: TaskRun, state: TaskState, counts: DryRunCounts): PassContext['display'] {
  const { options, clock, pacer } = run;
  const progress = createProgress({
    logger: options.logger,
    ...(options.progress ? { stream: options.progress } : {}),
    ...(options.progressIntervalMs !== undefined ? { intervalMs: options.progressIntervalMs } : {}),
    clock,
  });
  const show = () =>
    progress.update({
      phase: state.phase,
      done: state.doneInPhase,
      listed: state.listing.listed,
      listing: !state.listing.finished,
      counts: shownCounts(run, state.tally, counts),
      paused: pacer.paused,
    });
  const timer = setInterval(show, run.tty ? 250 : 1000);
  timer.unref();
  return {
    show,
    stop() {
      clearInterval(timer);
      show();
      progress.stop();
    },
  };
}

/** What the progress shows, by outcome (in a dry run, by outcome-to-be). */
function shownCounts({ dryRun, prune }: TaskRun, tally: Tally, counts: DryRunCounts): Record<string, number> {
  return dryRun
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
}

// ---- summary ----

async function summarize(
  { options, dryRun, clock, started }: TaskRun,
  { tally }: TaskState,
  { counts, estimator }: TaskWork,
  ending: { resumed: boolean; interrupted: boolean },
): Promise<BackfillSummary> {
  const counters = options.metrics ? await options.metrics.summary() : undefined;
  if (dryRun && counters) estimator.listed(counters.storageRequests.list);
  const summary: BackfillSummary = {
    task: options.taskIndex,
    tasks: options.taskCount,
    dryRun,
    total: tally.processed + tally.duplicate + tally.skipped + tally.failed,
    ...tally,
    resumed: ending.resumed,
    interrupted: ending.interrupted,
    seconds: Math.round((clock() - started) / 100) / 10,
    cpuSeconds: options.cpuSeconds ? Math.round(options.cpuSeconds() * 100) / 100 : undefined,
    ...(dryRun ? { report: { ...counts, estimate: estimator.total() } } : {}),
    ...(counters ? { counters } : {}),
  };
  options.logger.info(summary, 'backfill summary');
  return summary;
}
