/**
 * The passes of one backfill task, and the parts they work with: the task's state and the checkpointer that writes
 * it, the attempts (pacing.ts, attempts.ts) and the handlers (reconcile.ts). In the order they run: what failed in an
 * earlier attempt, tried again as it stands now; then each pass from the one the checkpoint reached (sources, then
 * PRUNE's renditions) — its ranges listed after the watermark and read ahead (listing.ts), worked through with
 * MAX_CONCURRENCY in flight, each settled object moving the watermark on and counting towards the next checkpoint.
 */
import type { StorageAdapter, StoredObject } from '@thumbnailer/core';
import { createAttempts, type Attempts } from './attempts.js';
import type { TaskRun } from './backfill-options.js';
import {
  MAX_FAILED_KEPT,
  createCheckpointer,
  Watermark,
  type Checkpointer,
  type CheckpointStore,
  type FailedObject,
  type Phase,
  type Plan,
  type Tally,
} from './checkpoint.js';
import { createEstimator, type Estimator } from './costs.js';
import { drain, listRanges, readAhead } from './listing.js';
import { errorOutcome, logOutcome } from './outcomes.js';
import {
  createHandlers,
  emptyDryRunCounts,
  type DryRunCounts,
  type Handler,
  type ReconcileContext,
} from './reconcile.js';
import type { NameRange } from './shards.js';

/** Where a task has got to: what its checkpoint holds, and what its progress shows. */
export interface TaskState {
  tally: Tally;
  /** Failures kept for a resumed attempt (at most MAX_FAILED_KEPT; `tally.failed` counts them all). */
  failed: FailedObject[];
  phase: Phase;
  watermark: Watermark;
  /** The current pass's listing so far, and its objects settled by this attempt. */
  listing: { readonly listed: number; readonly finished: boolean };
  doneInPhase: number;
}

/** One pass: what it lists (INPUT_FOLDER or THUMBNAIL_PREFIX) and this task's ranges of it. */
export interface Pass {
  phase: Phase;
  prefix: string;
  ranges: NameRange[];
}

export interface PassContext {
  storage: Pick<StorageAdapter, 'list' | 'stat'>;
  passes: readonly Pass[];
  state: TaskState;
  handlers: Record<Phase, Handler>;
  fail: ReconcileContext['fail'];
  attempts: Attempts;
  checkpointer: Checkpointer;
  /** The progress display: drawn at the end of each pass, stopped at the end of the last. */
  display: { show(): void; stop(): void };
  concurrency: number;
  readAheadObjects: number;
  stopping: () => boolean;
}

/** The run's plan, and where this task's checkpoint is written (no store in a dry run). */
export interface TaskCheckpoints {
  plan: Plan;
  store: CheckpointStore | undefined;
}

/** What the passes work with, and (for the summary) what the handlers counted. */
export interface PassParts extends Pick<PassContext, 'checkpointer' | 'attempts' | 'fail' | 'handlers'> {
  counts: DryRunCounts;
  estimator: Estimator;
}

/** The checkpointer of `state`, the attempts, the handlers, and how a failure is counted and kept. */
export function createParts(run: TaskRun, checkpoints: TaskCheckpoints, state: TaskState): PassParts {
  const { options, pacer } = run;
  const { storage, logger, input, thumbnailPrefix, renditions } = options;
  const checkpointer = createTaskCheckpointer(run, checkpoints, state);
  const attempts = createAttempts({
    pacer,
    logger,
    ...(options.attempts !== undefined ? { attempts: options.attempts } : {}),
    ...(options.retryDelayMs !== undefined ? { retryDelayMs: options.retryDelayMs } : {}),
    stopping: run.stopping,
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
  { plan, store }: TaskCheckpoints,
  state: TaskState,
): Checkpointer {
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

/**
 * Runs the task's passes to the end or until it is stopping, and writes the last checkpoint (complete unless
 * interrupted). Returns whether it was interrupted. A listing that keeps failing: the place reached is kept and the
 * error thrown (Cloud Run retries the task); a checkpoint conflict is thrown too.
 */
export async function runPasses(ctx: PassContext): Promise<boolean> {
  const { state, checkpointer } = ctx;
  try {
    await retryFailed(ctx);
    for (const pass of ctx.passes.slice(ctx.passes.findIndex((p) => p.phase === state.phase))) {
      if (ctx.stopping()) break;
      if (pass.phase !== state.phase) await enterPass(ctx, pass.phase);
      await runPass(ctx, pass);
    }
  } catch (err) {
    await checkpointer.save(false, true);
    throw err;
  } finally {
    checkpointer.stop();
    ctx.display.stop();
  }
  const interrupted = ctx.stopping();
  await checkpointer.save(!interrupted, true);
  if (checkpointer.conflict) throw checkpointer.conflict;
  return interrupted;
}

/** What failed in an earlier attempt is tried again first, as it stands now. */
async function retryFailed({ state, storage, handlers }: PassContext): Promise<void> {
  if (state.failed.length === 0) return;
  const retry = state.failed;
  state.failed = [];
  state.tally.failed -= retry.length;
  for (const f of retry) {
    const object = await storage.stat(f.name, f.generation);
    if (object) await handlers[f.phase](object);
  }
}

async function enterPass({ state, display, checkpointer }: PassContext, phase: Phase): Promise<void> {
  display.show(); // the last of the pass before
  state.phase = phase;
  state.watermark = new Watermark();
  state.doneInPhase = 0;
  await checkpointer.save();
}

async function runPass(ctx: PassContext, { phase, prefix, ranges }: Pass): Promise<void> {
  const { state, attempts, checkpointer } = ctx;
  const ahead = readAhead(
    listRanges(ctx.storage, prefix, ranges, state.watermark.value, (err, n) => attempts.retryListing(err, n)),
    ctx.readAheadObjects,
  );
  state.listing = ahead;
  const handle = ctx.handlers[phase];
  await drain(ahead, ctx.concurrency, ctx.stopping, (object: StoredObject) => {
    const ticket = state.watermark.add(object.name);
    return handle(object)
      .catch((err: unknown) => ctx.fail(object, errorOutcome(err), phase))
      .finally(() => {
        state.watermark.settle(ticket);
        state.doneInPhase += 1;
        checkpointer.settled();
      });
  });
}
