/**
 * Where a backfill task keeps its place, so that a task killed at any point and started again (Cloud Run Jobs'
 * task retries) continues where it was. Small JSON objects in the bucket, under THUMBNAIL_PREFIX (where the job may
 * write and delete, and where a lifecycle rule deletes them after 7 days):
 *
 *   <THUMBNAIL_PREFIX>.backfill/<execution>/<run>/plan.json      the shard plan every task of the run follows
 *   <THUMBNAIL_PREFIX>.backfill/<execution>/<run>/task-<i>.json  task i's checkpoint
 *
 * `<execution>` is CLOUD_RUN_EXECUTION (`local` off Cloud Run); `<run>` a hash of what the shares depend on (bucket,
 * INPUT_FOLDER, task count, THUMBNAIL_PREFIX, RENDITIONS, PRUNE), so a changed job never resumes an old plan.
 *
 * The plan is written once, create-only: the first task to get there wins and every other task (and every retry)
 * reads the winner's. Tasks that each listed the folders at a slightly different moment (uploads go on during a
 * backfill) would otherwise cut the key space at different points and miss or repeat objects.
 *
 * A checkpoint holds a watermark: the greatest name such that everything up to it in the task's ranges is settled.
 * It is rewritten every few seconds or every N objects (never per object), each time only while its generation is
 * the one this attempt last wrote, so two attempts of one task can never both advance it.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { RenditionSpec, StorageAdapter } from '@thumbnailer/core';
import type { Logger } from 'pino';
import { BackfillError } from './errors.js';
import { isPlainObject, isString } from './guards.js';
import type { NameRange } from './shards.js';

export type CheckpointStorage = Pick<StorageAdapter, 'stat' | 'download' | 'createOnly' | 'replace'>;

/** The two passes of a run: the sources of INPUT_FOLDER, then (PRUNE) the renditions under THUMBNAIL_PREFIX. */
export type Phase = 'sources' | 'renditions';

export interface Plan {
  version: 1;
  id: string;
  created: string;
  /** Per task, the name ranges it lists under INPUT_FOLDER. */
  sources: NameRange[][];
  /** Per task, the name ranges it lists under THUMBNAIL_PREFIX (PRUNE only). */
  renditions?: NameRange[][];
}

/** What a task has settled so far (carried over a resume, so the summary covers the whole share). */
export interface Tally {
  processed: number;
  duplicate: number;
  skipped: number;
  failed: number;
  /** Retired renditions deleted (PRUNE) … */
  pruned: number;
  /** … and of them, made again at the same name (the default rendition's, when THUMBNAIL_SIZE changed). */
  remade: number;
}

/** An object that failed after its attempts; a resumed task tries it again. */
export interface FailedObject {
  phase: Phase;
  name: string;
  generation: string;
}

export interface Checkpoint {
  version: 1;
  /** The plan it belongs to: a checkpoint of another plan is never resumed. */
  plan: string;
  task: number;
  phase: Phase;
  /** Everything up to this name (in `phase`) is settled; undefined: nothing yet. */
  watermark?: string;
  complete: boolean;
  tally: Tally;
  /** At most MAX_FAILED_KEPT of them; `tally.failed` counts them all. */
  failed: FailedObject[];
  updated: string;
}

export const MAX_FAILED_KEPT = 1000;
const PLAN_POLL_MS = 1000;

export function emptyTally(): Tally {
  return { processed: 0, duplicate: 0, skipped: 0, failed: 0, pruned: 0, remade: 0 };
}

/** What the shares of a run depend on, hashed: the folder that holds its plan and checkpoints. */
export function runKey(parts: {
  bucket: string;
  prefix: string;
  taskCount: number;
  thumbnailPrefix: string;
  renditions: readonly RenditionSpec[];
  prune: boolean;
}): string {
  const renditions = parts.renditions.map((r) => [r.name, r.width, r.height, r.fit, r.format, r.quality]);
  const text = JSON.stringify([
    parts.bucket,
    parts.prefix,
    parts.taskCount,
    parts.thumbnailPrefix,
    renditions,
    parts.prune,
  ]);
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

export function checkpointFolder(thumbnailPrefix: string, execution: string, run: string): string {
  return `${thumbnailPrefix}.backfill/${execution}/${run}/`;
}

export function newPlan(sources: NameRange[][], renditions?: NameRange[][]): Plan {
  return {
    version: 1,
    id: randomUUID(),
    created: new Date().toISOString(),
    sources,
    ...(renditions ? { renditions } : {}),
  };
}

// ---- typed guards for what is read back (a damaged object is treated as absent: the task starts over) ----

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isPhase = (v: unknown): v is Phase => v === 'sources' || v === 'renditions';

function isRange(v: unknown): v is NameRange {
  return isPlainObject(v) && isString(v.start) && (v.end === undefined || isString(v.end));
}

function isShares(v: unknown): v is NameRange[][] {
  return Array.isArray(v) && v.every((task) => Array.isArray(task) && task.every(isRange));
}

export function isPlan(v: unknown): v is Plan {
  return (
    isPlainObject(v) &&
    v.version === 1 &&
    isString(v.id) &&
    isString(v.created) &&
    isShares(v.sources) &&
    (v.renditions === undefined || isShares(v.renditions))
  );
}

function isTally(v: unknown): v is Tally {
  return (
    isPlainObject(v) &&
    (['processed', 'duplicate', 'skipped', 'failed', 'pruned', 'remade'] as const).every((k) => isCount(v[k]))
  );
}

function isFailed(v: unknown): v is FailedObject {
  return isPlainObject(v) && isPhase(v.phase) && isString(v.name) && isString(v.generation);
}

export function isCheckpoint(v: unknown): v is Checkpoint {
  return (
    isPlainObject(v) &&
    v.version === 1 &&
    isString(v.plan) &&
    isCount(v.task) &&
    isPhase(v.phase) &&
    (v.watermark === undefined || isString(v.watermark)) &&
    typeof v.complete === 'boolean' &&
    isTally(v.tally) &&
    Array.isArray(v.failed) &&
    v.failed.every(isFailed) &&
    isString(v.updated)
  );
}

// ---- the store ----

export interface CheckpointStore {
  readonly folder: string;
  /**
   * The run's plan: the one already written, else `make()`'s, written create-only (another task's if it won).
   * With `waitMs`, first waits that long for another task to write it (polling once a second), so that one task
   * (task 0) lists the folders instead of all of them.
   */
  agreePlan(make: () => Promise<Plan>, waitMs?: number): Promise<{ plan: Plan; made: boolean }>;
  /** This task's checkpoint, if there is a readable one. */
  read(): Promise<Checkpoint | undefined>;
  /** Rewrites this task's checkpoint; throws BackfillError('checkpoint_conflict') if another attempt did meanwhile. */
  write(checkpoint: Checkpoint): Promise<void>;
}

export function createCheckpointStore(
  storage: CheckpointStorage,
  folder: string,
  task: number,
): CheckpointStore {
  const planName = `${folder}plan.json`;
  const taskName = `${folder}task-${task}.json`;
  /** The generation of the checkpoint as this attempt last saw or wrote it ('0': none yet). */
  let generation = '0';

  async function readJson(name: string): Promise<{ value: unknown; generation: string } | undefined> {
    const object = await storage.stat(name);
    if (!object) return undefined;
    const got = await storage.download(name, object.generation);
    if (got.status === 'gone') return undefined;
    try {
      return { value: JSON.parse(got.data.toString('utf8')) as unknown, generation: object.generation };
    } catch {
      return { value: undefined, generation: object.generation };
    }
  }

  const json = (value: unknown) => ({ data: JSON.stringify(value), contentType: 'application/json' });

  return {
    folder,
    async agreePlan(make, waitMs = 0) {
      let existing = await readJson(planName);
      for (const until = Date.now() + waitMs; !existing && Date.now() < until;) {
        await new Promise((resolve) => setTimeout(resolve, Math.min(PLAN_POLL_MS, until - Date.now())));
        existing = await readJson(planName);
      }
      if (existing && isPlan(existing.value)) return { plan: existing.value, made: false };
      const plan = await make();
      const { data, contentType } = json(plan);
      const written = existing
        ? await storage.replace(planName, data, { contentType, ifGenerationMatch: existing.generation })
        : await storage.createOnly(planName, data, { contentType });
      if (written.status === 'created' || written.status === 'written') return { plan, made: true };
      const winner = await readJson(planName);
      if (winner && isPlan(winner.value)) return { plan: winner.value, made: false };
      throw new BackfillError(
        'plan_unreadable',
        `the backfill plan ${planName} could not be written or read`,
      );
    },
    async read() {
      const found = await readJson(taskName);
      if (!found) return undefined;
      generation = found.generation;
      return isCheckpoint(found.value) ? found.value : undefined;
    },
    async write(checkpoint) {
      const { data, contentType } = json(checkpoint);
      const written = await storage.replace(taskName, data, { contentType, ifGenerationMatch: generation });
      if (written.status === 'precondition_failed') {
        throw new BackfillError(
          'checkpoint_conflict',
          `${taskName} was rewritten by another attempt of task ${task}; this one stops`,
        );
      }
      generation = written.object.generation;
    },
  };
}

// ---- the watermark ----

/**
 * The greatest name such that it and everything before it (in the order the names were added, which is the
 * listing's) is settled, while work finishes out of order.
 */
export class Watermark {
  #names: string[] = [];
  #done: boolean[] = [];
  #head = 0;
  #next = 0;
  #value: string | undefined;

  constructor(start?: string) {
    this.#value = start;
  }

  /** Registers the next name in listing order; returns its ticket for settle(). */
  add(name: string): number {
    this.#names.push(name);
    this.#done.push(false);
    return this.#next++;
  }

  settle(ticket: number): void {
    const i = ticket - (this.#next - this.#names.length);
    if (i < 0 || i >= this.#done.length) return;
    this.#done[i] = true;
    while (this.#head < this.#done.length && this.#done[this.#head]) {
      this.#value = this.#names[this.#head];
      this.#head += 1;
    }
    // Drop the settled head now and then, so a long run holds only what is in flight.
    if (this.#head > 1024 && this.#head * 2 > this.#names.length) {
      this.#names.splice(0, this.#head);
      this.#done.splice(0, this.#head);
      this.#head = 0;
    }
  }

  get value(): string | undefined {
    return this.#value;
  }

  /** Added but not settled yet, at or after the watermark. */
  get pending(): number {
    return this.#done.length - this.#head;
  }
}

// ---- when checkpoints are written ----

export interface Checkpointer {
  /**
   * Writes the current state (unless unchanged since the last write, or `force`); writes never overlap. A
   * checkpoint that cannot be written is tried again later; a conflict stops the run (`conflict`).
   */
  save(complete?: boolean, force?: boolean): Promise<void>;
  /** One more object settled: every `objects` of them, a write. */
  settled(): void;
  stop(): void;
  /** Set when another attempt of this task owns the checkpoint: the run must stop. */
  readonly conflict: BackfillError | undefined;
}

export interface CheckpointerOptions {
  /** Undefined (a dry run): nothing is ever written. */
  store: CheckpointStore | undefined;
  state: (complete: boolean) => Checkpoint;
  /** At most this often … (default 5 s) */
  intervalMs?: number;
  /** … or after this many objects, whichever comes first (default 1000). */
  objects?: number;
  logger: Logger;
  onConflict: () => void;
}

export function createCheckpointer(options: CheckpointerOptions): Checkpointer {
  const { store, logger } = options;
  const every = options.objects ?? 1000;
  let writes = Promise.resolve();
  let sinceWrite = 0;
  let lastWritten: string | undefined;
  let conflict: BackfillError | undefined;

  const save = (complete = false, force = false): Promise<void> => {
    if (!store || conflict) return writes;
    writes = writes.then(async () => {
      const state = options.state(complete);
      const mark = JSON.stringify([state.phase, state.watermark, state.complete, state.tally]);
      if ((!force && mark === lastWritten) || conflict) return;
      sinceWrite = 0;
      try {
        await store.write(state);
        lastWritten = mark;
      } catch (err) {
        if (err instanceof BackfillError) {
          conflict = err;
          options.onConflict();
        } else {
          logger.warn({ err }, 'the checkpoint could not be written; trying again later');
        }
      }
    });
    return writes;
  };
  const timer = setInterval(() => void save(), options.intervalMs ?? 5000);
  timer.unref();
  return {
    save,
    settled() {
      sinceWrite += 1;
      if (sinceWrite >= every) void save();
    },
    stop: () => clearInterval(timer),
    get conflict() {
      return conflict;
    },
  };
}
