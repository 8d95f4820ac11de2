/**
 * The backfill job (Cloud Run Jobs): reconciles INPUT_FOLDER with RENDITIONS, in the order it runs —
 *
 *   plan     — one folder listing, cut into name ranges per task (listing.ts, shards.ts); the run's plan is agreed
 *              through the bucket (checkpoint.ts), so every task and every retry follows the same one.
 *   resume   — this task's checkpoint: an unfinished one continues after its watermark (and tries its failures
 *              again); a finished one, or none, means a fresh start.
 *   sources  — this task's ranges of INPUT_FOLDER, listed and read ahead (passes.ts), each object through the same
 *              idempotent pipeline as a live event (reconcile.ts: only missing renditions are written; a source whose
 *              renditions all exist costs its metadata reads), at most MAX_CONCURRENCY at once, MAX_RATE per
 *              second, the whole task paused while storage pushes back (pacing.ts, attempts.ts).
 *   renditions (PRUNE) — this task's ranges of THUMBNAIL_PREFIX, each object judged by its metadata (prune.ts) and
 *              the retired ones deleted.
 *   summary  — counts (over every attempt of the task), the storage requests, the CPU time.
 *
 * A dry run (DRY_RUN) lists and checks the same way with pipeline.plan() and writes nothing — no rendition, no
 * plan, no checkpoint — and reports what a real run would do and cost (costs.ts).
 */
import { openRun, type BackfillOptions, type TaskRun } from './backfill-options.js';
import {
  checkpointFolder,
  createCheckpointStore,
  emptyTally,
  newPlan,
  runKey,
  Watermark,
  type Checkpoint,
  type Phase,
  type Tally,
} from './checkpoint.js';
import type { RunEstimate } from './costs.js';
import { planShares } from './listing.js';
import type { WorkerSummary } from './metrics.js';
import {
  createParts,
  runPasses,
  type Pass,
  type PassContext,
  type PassParts,
  type TaskCheckpoints,
  type TaskState,
} from './passes.js';
import { createProgress } from './progress.js';
import type { DryRunCounts } from './reconcile.js';
import type { NameRange } from './shards.js';

export type { BackfillOptions, BackfillStorage } from './backfill-options.js';

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
  const parts = createParts(run, plan, state);
  const interrupted = await runPasses({
    ...parts,
    storage: options.storage,
    passes: passesOf(run, plan),
    state,
    display: createDisplay(run, state, parts.counts),
    concurrency: options.concurrency,
    readAheadObjects: options.readAheadObjects ?? 20_000,
    stopping: run.stopping,
  });
  return summarize(run, state, parts, { resumed: resume !== undefined, interrupted });
}

// ---- plan ----

/** The run's plan, and where the task's checkpoint lives (no store in a dry run). */
interface TaskPlan extends TaskCheckpoints {
  folder: string;
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
  { counts, estimator }: PassParts,
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
