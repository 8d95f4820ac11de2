/**
 * The backfill job (Cloud Run Jobs): reconciles INPUT_FOLDER with RENDITIONS, in the order it runs —
 *
 *   plan     — one folder listing, cut into name ranges per task (shards.ts); the run's plan is agreed through the
 *              bucket (checkpoint.ts), so every task and every retry follows the same one.
 *   resume   — this task's checkpoint: an unfinished one continues after its watermark; a finished one (or none)
 *              means a fresh start.
 *   sources  — this task's ranges of INPUT_FOLDER, listed and read ahead, each object through the same idempotent
 *              pipeline as a live event (only missing renditions are written; a source whose renditions all exist
 *              costs its metadata reads), at most MAX_CONCURRENCY at once, MAX_RATE per second, the whole task
 *              paused while storage pushes back (pacing.ts).
 *   renditions (PRUNE) — this task's ranges of THUMBNAIL_PREFIX, each object judged by its metadata (prune.ts) and
 *              the retired ones deleted.
 *   summary  — counts (over every attempt of the task), the storage requests, the CPU time.
 *
 * A dry run (DRY_RUN) lists and checks the same way with pipeline.plan() and writes nothing — no rendition, no
 * plan, no checkpoint — and reports what a real run would do and cost (costs.ts).
 */
import {
  idempotencyKey,
  type RenditionSpec,
  type StorageAdapter,
  type StoredObject,
} from '@thumbnailer/core';
import type { Logger } from 'pino';
import {
  MAX_FAILED_KEPT,
  checkpointFolder,
  createCheckpointStore,
  emptyTally,
  newPlan,
  runKey,
  Watermark,
  type Checkpoint,
  type CheckpointStore,
  type FailedObject,
  type Phase,
  type Plan,
  type Tally,
} from './checkpoint.js';
import type { InputFolder } from './config.js';
import { createEstimator, type RunEstimate } from './costs.js';
import { BackfillError } from './errors.js';
import type { ObjectEvent } from './events.js';
import { listRanges, readAhead } from './listing.js';
import type { SkipReason, WorkerMetrics, WorkerSummary } from './metrics.js';
import { errorOutcome, logOutcome, type Outcome } from './outcomes.js';
import { createPacer, type Pacer } from './pacing.js';
import { filterEvent, type FinalizePlan, type Pipeline } from './pipeline.js';
import { createProgress } from './progress.js';
import { pruneVerdict, type PruneScope } from './prune.js';
import { shardRanges, without, type NameRange, type SpaceSample } from './shards.js';

/** Names read from a space to cut inside it: one listing page. */
const SAMPLE_PAGE = 1000;

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

/** What a dry run found, per outcome-to-be. */
export interface DryRunReport {
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
  /** What a real run would spend on the same objects. */
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

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The first page of a space's listing, `excluded` left out (no further page is read). */
async function samplePage(storage: BackfillStorage, space: string, excluded: string): Promise<SpaceSample> {
  const names: string[] = [];
  const ranges = excluded.startsWith(space) ? without({ start: space }, excluded) : [{ start: space }];
  for await (const object of listRanges(storage, space, ranges)) {
    names.push(object.name);
    if (names.length === SAMPLE_PAGE) return { names, complete: false };
  }
  return { names, complete: true };
}

/**
 * Every task's ranges of one pass: one folder listing, and with fewer than two folders per task the first page
 * of each folder (or of the loose objects, when there is no folder) to cut inside them.
 */
async function shares(
  storage: BackfillStorage,
  prefix: string,
  excluded: string,
  taskCount: number,
): Promise<NameRange[][]> {
  const folders = await storage.folders(prefix);
  const inputs = folders.filter((folder) => !folder.startsWith(excluded));
  const samples = new Map<string, SpaceSample>();
  if (taskCount > 1 && inputs.length < 2 * taskCount)
    for (const space of inputs.length > 0 ? inputs : [prefix])
      samples.set(space, await samplePage(storage, space, excluded));
  return Array.from({ length: taskCount }, (_, i) =>
    shardRanges(prefix, folders, i, taskCount, excluded, samples),
  );
}

export async function runBackfill(options: BackfillOptions): Promise<BackfillSummary> {
  const { storage, pipeline, logger, input, thumbnailPrefix, taskIndex } = options;
  const dryRun = options.dryRun === true;
  const prune = options.prune === true;
  const clock = options.clock ?? (() => Date.now());
  const attempts = options.attempts ?? 3;
  const retryDelayMs = options.retryDelayMs ?? 1000;
  const pacer =
    options.pacer ?? createPacer(options.maxRate === undefined ? {} : { maxRate: options.maxRate });
  const started = clock();
  const checkpointsAt = `${thumbnailPrefix}.backfill/`;
  const tty = options.progress?.isTTY === true;

  // ---- plan ----
  const makePlan = async (): Promise<Plan> =>
    newPlan(
      await shares(storage, input.prefix, thumbnailPrefix, options.taskCount),
      prune ? await shares(storage, thumbnailPrefix, checkpointsAt, options.taskCount) : undefined,
    );
  const folder = checkpointFolder(
    thumbnailPrefix,
    options.execution,
    runKey({
      bucket: storage.bucketName,
      prefix: input.prefix,
      taskCount: options.taskCount,
      thumbnailPrefix,
      renditions: options.renditions,
      prune,
    }),
  );
  const store: CheckpointStore | undefined = dryRun
    ? undefined
    : createCheckpointStore(storage, folder, taskIndex);
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
    logger.info(
      {
        phase: resume.phase,
        watermark: resume.watermark ?? null,
        ...resume.tally,
        retrying: resume.failed.length,
      },
      'backfill resumed from its checkpoint',
    );
  }

  // ---- dry-run bookkeeping ----
  const estimator = createEstimator(options.renditions.length);
  const report: Omit<DryRunReport, 'estimate'> = {
    missing: 0,
    renditionsMissing: 0,
    complete: 0,
    notImageByType: 0,
    skipped: {},
    retired: 0,
    remade: 0,
  };

  // ---- checkpoints ----
  const abort = new AbortController();
  options.signal?.addEventListener('abort', () => abort.abort(), { once: true });
  if (options.signal?.aborted) abort.abort();
  /** Set when the run must stop: another attempt of this task owns the checkpoint. */
  let fatal: BackfillError | undefined;
  const fatalError = (): BackfillError | undefined => fatal;
  let writes = Promise.resolve();
  let sinceWrite = 0;
  let lastWritten: string | undefined;
  const checkpoint = (complete: boolean): Checkpoint => ({
    version: 1,
    plan: plan.id,
    task: taskIndex,
    phase,
    ...(watermark.value !== undefined ? { watermark: watermark.value } : {}),
    complete,
    tally: { ...tally },
    failed: failedKept,
    updated: new Date(clock()).toISOString(),
  });
  const saveCheckpoint = (complete = false, force = false): Promise<void> => {
    if (!store) return Promise.resolve();
    writes = writes.then(async () => {
      const state = checkpoint(complete);
      const mark = JSON.stringify([state.phase, state.watermark, state.complete, state.tally]);
      if (!force && mark === lastWritten) return;
      sinceWrite = 0;
      try {
        await store.write(state);
        lastWritten = mark;
      } catch (err) {
        if (err instanceof BackfillError) {
          fatal ??= err;
          abort.abort();
        } else {
          logger.warn({ err }, 'the checkpoint could not be written; trying again later');
        }
      }
    });
    return writes;
  };
  const checkpointTimer = setInterval(() => void saveCheckpoint(), options.checkpointIntervalMs ?? 5000);
  checkpointTimer.unref();
  const settledOne = (): void => {
    sinceWrite += 1;
    if (sinceWrite >= (options.checkpointObjects ?? 1000)) void saveCheckpoint();
  };

  // ---- one object's attempts ----
  type Attempted<T> = { ok: T } | { failed: Outcome };
  const pushBack = (): void => {
    const already = pacer.paused;
    const pauseMs = pacer.pushedBack();
    if (!already) logger.warn({ pauseMs }, 'storage is pushing back (429/5xx): pausing this task');
  };
  async function attempt<T>(
    key: string,
    work: () => Promise<T>,
    retryOf: (value: T) => Outcome | undefined = () => undefined,
  ): Promise<Attempted<T>> {
    let failure: Outcome = { status: 'retry', error: 'not attempted', code: 'internal' };
    for (let n = 1; n <= attempts; n++) {
      await pacer.ready();
      try {
        const value = await work();
        const retry = retryOf(value);
        if (retry === undefined) {
          pacer.succeeded();
          return { ok: value };
        }
        failure = retry;
      } catch (err) {
        failure = errorOutcome(err, key);
        if (failure.status !== 'retry') return { failed: failure };
      }
      if (n === attempts) break;
      if (failure.status === 'retry' && failure.code === 'storage_unavailable') pushBack();
      else await sleepFor(retryDelayMs * n);
    }
    return { failed: failure };
  }
  /** A listing page that failed is asked again (after the task's pause, if storage pushed back). */
  const retryListing = async (err: unknown, failures: number): Promise<boolean> => {
    const failure = errorOutcome(err);
    if (failure.status !== 'retry' || failures >= attempts || abort.signal.aborted) return false;
    logger.warn({ err, failures }, 'a listing page failed; asking again');
    if (failure.code === 'storage_unavailable') pushBack();
    else await sleepFor(retryDelayMs * failures);
    await pacer.unpaused();
    return true;
  };
  const fail = (object: Pick<StoredObject, 'name' | 'generation'>, failure: Outcome, where: Phase): void => {
    tally.failed += 1;
    if (failedKept.length < MAX_FAILED_KEPT)
      failedKept.push({ phase: where, name: object.name, generation: object.generation });
    logOutcome(logger, failure, { via: 'backfill', object: `gs://${storage.bucketName}/${object.name}` });
  };

  // ---- the sources pass ----
  const retryOfOutcome = (outcome: Outcome): Outcome | undefined =>
    outcome.status === 'retry' ? outcome : undefined;
  async function fillSource(object: StoredObject): Promise<void> {
    const event = eventFor(object);
    const key = idempotencyKey(event.bucket, event.name, event.generation);
    const free = filterEvent(event, options.buckets, thumbnailPrefix) !== undefined;
    const process = () => pipeline.process(event).catch((err: unknown) => errorOutcome(err, key));
    const result: Attempted<Outcome> = free
      ? { ok: await process() }
      : await attempt(key, process, retryOfOutcome);
    if ('failed' in result) {
      options.metrics?.event('backfill', result.failed);
      return fail(object, result.failed, 'sources');
    }
    const outcome = result.ok;
    options.metrics?.event('backfill', outcome);
    if (outcome.status === 'processed') tally.processed += 1;
    else if (outcome.status === 'duplicate') tally.duplicate += 1;
    else if (outcome.status === 'skipped') tally.skipped += 1;
    else return fail(object, outcome, 'sources');
    // On a terminal the progress bar tells the story; only refusals get their own line there.
    if (!(tty && (outcome.status === 'processed' || outcome.status === 'duplicate')))
      logOutcome(logger, outcome, { via: 'backfill', object: `gs://${event.bucket}/${event.name}` });
  }

  async function planSource(object: StoredObject): Promise<void> {
    const event = eventFor(object);
    const key = idempotencyKey(event.bucket, event.name, event.generation);
    const free = filterEvent(event, options.buckets, thumbnailPrefix) !== undefined;
    const result: Attempted<FinalizePlan> = free
      ? { ok: await pipeline.plan(event) }
      : await attempt(key, () => pipeline.plan(event));
    if ('failed' in result) return fail(object, result.failed, 'sources');
    const planned = result.ok;
    estimator.source(planned, object.size);
    if (planned.status === 'skipped') report.skipped[planned.code] = (report.skipped[planned.code] ?? 0) + 1;
    else if (planned.status === 'complete') report.complete += 1;
    else if (planned.status === 'not_image_by_type') report.notImageByType += 1;
    else {
      report.missing += 1;
      report.renditionsMissing += planned.missing.length;
    }
    logger.debug({ object: `gs://${event.bucket}/${event.name}`, plan: planned }, 'dry run: planned');
  }

  // ---- the renditions pass (PRUNE) ----
  const scope: PruneScope = {
    bucket: storage.bucketName,
    inputPrefix: input.prefix,
    thumbnailPrefix,
    renditions: options.renditions,
  };
  async function pruneRendition(object: StoredObject): Promise<void> {
    const verdict = pruneVerdict(object, scope);
    if (verdict.action === 'keep') return;
    const uri = `gs://${storage.bucketName}/${object.name}`;
    if (dryRun) {
      report.retired += 1;
      if (verdict.remake) report.remade += 1;
      estimator.prune();
      logger.debug({ object: uri, why: verdict.why }, 'dry run: would delete a retired rendition');
      return;
    }
    const deleted = await attempt(uri, () => storage.delete(object.name, object.generation));
    if ('failed' in deleted) return fail(object, deleted.failed, 'renditions');
    // A newer object at that name (precondition failed) is not the one judged: it stays.
    if (deleted.ok.status === 'precondition_failed') return;
    tally.pruned += 1;
    logger.info(
      {
        object: uri,
        rendition: object.metadata.rendition ?? null,
        renditionSpec: object.metadata.renditionSpec ?? null,
        why: verdict.why,
      },
      'retired rendition deleted',
    );
    if (!verdict.remake) return;
    const source = await attempt(verdict.source.name, () =>
      storage.stat(verdict.source.name, verdict.source.generation),
    );
    if ('failed' in source) return fail(verdict.source, source.failed, 'renditions');
    if (source.ok === undefined) return;
    const event = eventFor(source.ok);
    const key = idempotencyKey(event.bucket, event.name, event.generation);
    const made = await attempt(
      key,
      () => pipeline.process(event).catch((err: unknown) => errorOutcome(err, key)),
      retryOfOutcome,
    );
    if ('failed' in made) return fail(verdict.source, made.failed, 'renditions');
    if (made.ok.status === 'processed') tally.remade += 1;
    logOutcome(logger, made.ok, { via: 'backfill', object: `gs://${event.bucket}/${event.name}` });
  }

  const handlers: Record<Phase, (object: StoredObject) => Promise<void>> = {
    sources: dryRun ? planSource : fillSource,
    renditions: pruneRendition,
  };

  // ---- progress ----
  const progress = createProgress({
    logger,
    ...(options.progress ? { stream: options.progress } : {}),
    ...(options.progressIntervalMs !== undefined ? { intervalMs: options.progressIntervalMs } : {}),
    clock,
  });
  let listing: { listed: number; finished: boolean } = { listed: 0, finished: false };
  let doneInPhase = 0;
  const counts = (): Record<string, number> =>
    dryRun
      ? {
          missing: report.missing,
          complete: report.complete,
          'not an image': report.notImageByType,
          skipped: Object.values(report.skipped).reduce((a, b) => a + b, 0),
          ...(prune ? { retired: report.retired } : {}),
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
      counts: counts(),
      paused: pacer.paused,
    });
  const progressTimer = setInterval(showProgress, tty ? 250 : 1000);
  progressTimer.unref();

  // ---- run the passes ----
  /** Runs `handle` over `objects` with at most `concurrency` in flight, advancing the watermark as they settle. */
  async function drain(
    objects: AsyncIterable<StoredObject>,
    handle: (o: StoredObject) => Promise<void>,
    track: boolean,
  ) {
    const inFlight = new Set<Promise<void>>();
    for await (const object of objects) {
      while (inFlight.size >= options.concurrency) await Promise.race(inFlight);
      if (abort.signal.aborted) break;
      const ticket = track ? watermark.add(object.name) : -1;
      const work: Promise<void> = handle(object)
        .catch((err: unknown) => fail(object, errorOutcome(err), phase))
        .finally(() => {
          inFlight.delete(work);
          if (track) watermark.settle(ticket);
          doneInPhase += 1;
          settledOne();
        });
      inFlight.add(work);
    }
    await Promise.all(inFlight);
  }

  try {
    // What failed in an earlier attempt is tried again first (as it stands now).
    if (resume && failedKept.length > 0) {
      const retry = failedKept;
      failedKept = [];
      tally.failed -= retry.length;
      async function* again(): AsyncGenerator<{ object: StoredObject; phase: Phase }> {
        for (const f of retry) {
          const object = await storage.stat(f.name, f.generation);
          if (object) yield { object, phase: f.phase };
        }
      }
      for await (const { object, phase: where } of again()) await handlers[where](object);
    }
    for (const current of phases.slice(phases.indexOf(phase))) {
      if (abort.signal.aborted) break;
      if (current !== phase) {
        phase = current;
        watermark = new Watermark();
        doneInPhase = 0;
        await saveCheckpoint();
      }
      const prefix = current === 'sources' ? input.prefix : thumbnailPrefix;
      const ahead = readAhead(
        listRanges(storage, prefix, rangesOf(current), watermark.value, retryListing),
        options.readAheadObjects ?? 20_000,
      );
      listing = ahead;
      await drain(ahead, handlers[current], true);
    }
  } catch (err) {
    // A listing that keeps failing: keep the place reached, and let the task fail (Cloud Run retries it).
    if (!fatal) await saveCheckpoint(false, true);
    throw err;
  } finally {
    clearInterval(checkpointTimer);
    clearInterval(progressTimer);
    showProgress();
    progress.stop();
  }
  const interrupted = abort.signal.aborted;
  if (!fatal) await saveCheckpoint(!interrupted, true);
  const stop = fatalError();
  if (stop) throw stop;

  const counters = options.metrics ? await options.metrics.summary() : undefined;
  if (dryRun && counters) estimator.listed(counters.storageRequests.list);
  const summary: BackfillSummary = {
    task: taskIndex,
    tasks: options.taskCount,
    dryRun,
    total: tally.processed + tally.duplicate + tally.skipped + tally.failed,
    ...tally,
    resumed: resume !== undefined,
    interrupted,
    seconds: Math.round((clock() - started) / 100) / 10,
    cpuSeconds: options.cpuSeconds ? Math.round(options.cpuSeconds() * 100) / 100 : undefined,
    ...(dryRun ? { report: { ...report, estimate: estimator.total() } } : {}),
    ...(counters ? { counters } : {}),
  };
  logger.info(summary, 'backfill summary');
  return summary;
}
