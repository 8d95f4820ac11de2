/**
 * The worker's configuration, read from the environment once, validated, and passed in from there on: the service's
 * (`loadConfig`) and the backfill job's (`loadBackfillConfig`: the same pipeline settings plus the job's own). A
 * malformed value throws a ConfigError naming the variable; runMain prints that one line and exits.
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import {
  bucketVar,
  ConfigError,
  checkBucketName,
  integerVar,
  logLevelVar,
  optionalVar,
  renditionsVar,
  thumbnailPrefixVar,
  type Env,
  type RenditionSpec,
} from '@thumbnailer/core';

export interface InputFolder {
  bucket: string;
  /** '' for the whole bucket, else ends with '/'. */
  prefix: string;
}

/** What the service and the backfill job both read: the pipeline's settings and the clients'. */
export interface PipelineConfig {
  projectId: string | undefined;
  thumbnailPrefix: string;
  /** `RENDITIONS`, default `thumb:<THUMBNAIL_SIZE>x<THUMBNAIL_SIZE>` (today's single thumbnail). */
  renditions: readonly RenditionSpec[];
  /** `EVENTS_TOPIC`: where ready / failed / removed events are published; unset → none. */
  eventsTopic: string | undefined;
  maxConcurrency: number;
  logLevel: string;
  /** The buckets whose events are processed (`BUCKETS`, default `UPLOAD_BUCKET`); any other is skipped. */
  buckets: ReadonlySet<string>;
  /** Longest one storage request may take before it counts as transient (`STORAGE_TIMEOUT_SECONDS`). */
  storageTimeoutMs: number;
  uploadBucket: string | undefined;
}

export interface WorkerConfig extends PipelineConfig {
  port: number;
  /** Unset → no pull; only `POST /event` works. */
  subscription: string | undefined;
}

export interface BackfillConfig extends PipelineConfig {
  /** `INPUT_FOLDER` resolved against `UPLOAD_BUCKET` (required). */
  input: InputFolder;
  taskIndex: number;
  taskCount: number;
  /** `CLOUD_RUN_EXECUTION` (set by Cloud Run; `local` otherwise): a task's retries share its checkpoints. */
  execution: string;
  /** `DRY_RUN`: list and check, write nothing, print what a run would do and cost. */
  dryRun: boolean;
  /** `MAX_RATE`: images per second this task starts at most; undefined: unlimited. */
  maxRate: number | undefined;
  /** `PRUNE`: also delete renditions whose spec is no longer in RENDITIONS. */
  prune: boolean;
}

const SUBSCRIPTION = /^(projects\/[^/]+\/subscriptions\/)?[A-Za-z][\w.~+%-]{2,254}$/;
const TOPIC = /^(projects\/[^/]+\/topics\/)?[A-Za-z][\w.~+%-]{2,254}$/;

/** A Pub/Sub topic (`name` or `projects/<p>/topics/<name>`), optional. */
function topicVar(env: Env, name: string): string | undefined {
  const topic = optionalVar(env, name);
  if (topic !== undefined && !TOPIC.test(topic))
    throw new ConfigError(name, `${name} is not a valid topic name: ${JSON.stringify(topic)}`);
  return topic;
}

/** `gs://bucket/prefix/`, `gs://bucket`, or a prefix inside `UPLOAD_BUCKET`. */
function inputFolder(raw: string | undefined, uploadBucket: string | undefined): InputFolder | undefined {
  if (raw === undefined) return undefined;
  const gs = /^gs:\/\/([^/]+)\/?(.*)$/.exec(raw);
  let bucket: string | undefined;
  let prefix: string;
  if (gs) {
    bucket = checkBucketName('INPUT_FOLDER', gs[1] ?? '');
    prefix = gs[2] ?? '';
  } else {
    if (uploadBucket === undefined) {
      throw new ConfigError(
        'INPUT_FOLDER',
        `INPUT_FOLDER ${JSON.stringify(raw)} is not a gs:// URL, and UPLOAD_BUCKET is not set`,
      );
    }
    bucket = uploadBucket;
    prefix = raw.replace(/^\/+/, '');
  }
  if (prefix.includes('..'))
    throw new ConfigError('INPUT_FOLDER', `INPUT_FOLDER must not contain "..", got ${JSON.stringify(raw)}`);
  if (prefix !== '' && !prefix.endsWith('/')) prefix += '/';
  return { bucket, prefix };
}

/** `BUCKETS`: comma-separated bucket names; default `UPLOAD_BUCKET`; one of the two is required. */
function buckets(raw: string | undefined, uploadBucket: string | undefined): ReadonlySet<string> {
  if (raw === undefined) {
    if (uploadBucket === undefined) {
      throw new ConfigError(
        'BUCKETS',
        'BUCKETS must name the bucket(s) this worker serves (comma-separated), or UPLOAD_BUCKET must be set',
      );
    }
    return new Set([uploadBucket]);
  }
  const names = raw.split(',').map((name) => name.trim());
  if (names.some((name) => name === '')) {
    throw new ConfigError(
      'BUCKETS',
      `BUCKETS must be comma-separated bucket names, got ${JSON.stringify(raw)}`,
    );
  }
  return new Set(names.map((name) => checkBucketName('BUCKETS', name)));
}

const EXECUTION = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const RATE = /^(?:\d+(?:\.\d*)?|\.\d+)$/;

/** `true`/`false` (also `1`/`0`, `yes`/`no`, any case); `fallback` when unset. */
function booleanVar(env: Env, name: string, fallback: boolean): boolean {
  const raw = optionalVar(env, name);
  if (raw === undefined) return fallback;
  const value = raw.toLowerCase();
  if (['true', '1', 'yes'].includes(value)) return true;
  if (['false', '0', 'no'].includes(value)) return false;
  throw new ConfigError(name, `${name} must be true or false, got ${JSON.stringify(raw)}`);
}

/** `MAX_RATE`: a positive number of images per second (fractions allowed); unset → unlimited. */
function rateVar(env: Env, name: string): number | undefined {
  const raw = optionalVar(env, name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!RATE.test(raw) || !(value > 0) || value > 100_000) {
    throw new ConfigError(
      name,
      `${name} must be a number of images per second above 0 and at most 100000, got ${JSON.stringify(raw)}`,
    );
  }
  return value;
}

/** `CLOUD_RUN_EXECUTION`: part of the checkpoints' object names; `local` when not on Cloud Run. */
function executionVar(env: Env): string {
  const execution = optionalVar(env, 'CLOUD_RUN_EXECUTION') ?? 'local';
  if (!EXECUTION.test(execution)) {
    throw new ConfigError(
      'CLOUD_RUN_EXECUTION',
      `CLOUD_RUN_EXECUTION must be letters, digits, ".", "_" or "-" (at most 100), got ${JSON.stringify(execution)}`,
    );
  }
  return execution;
}

/** The settings both loaders read, BUCKETS aside (its default depends on INPUT_FOLDER for the job). */
function pipelineConfig(env: Env): Omit<PipelineConfig, 'buckets'> {
  return {
    projectId: optionalVar(env, 'GOOGLE_CLOUD_PROJECT'),
    thumbnailPrefix: thumbnailPrefixVar(env),
    renditions: renditionsVar(env, integerVar(env, 'THUMBNAIL_SIZE', 100, 1, 4096)),
    eventsTopic: topicVar(env, 'EVENTS_TOPIC'),
    maxConcurrency: integerVar(env, 'MAX_CONCURRENCY', 2 * os.availableParallelism(), 1, 1024),
    logLevel: logLevelVar(env),
    storageTimeoutMs: 1000 * integerVar(env, 'STORAGE_TIMEOUT_SECONDS', 30, 1, 600),
    uploadBucket: bucketVar(env, 'UPLOAD_BUCKET'),
  };
}

/** The worker service's configuration. */
export function loadConfig(env: Env = process.env): WorkerConfig {
  const subscription = optionalVar(env, 'PUBSUB_SUBSCRIPTION');
  if (subscription !== undefined && !SUBSCRIPTION.test(subscription)) {
    throw new ConfigError(
      'PUBSUB_SUBSCRIPTION',
      `PUBSUB_SUBSCRIPTION is not a valid subscription name: ${JSON.stringify(subscription)}`,
    );
  }
  const common = pipelineConfig(env);
  return {
    port: integerVar(env, 'PORT', 8080, 1, 65535),
    subscription,
    ...common,
    buckets: buckets(optionalVar(env, 'BUCKETS'), common.uploadBucket),
  };
}

/** The backfill job's configuration: the pipeline's settings, INPUT_FOLDER, its shard, and how it runs. */
export function loadBackfillConfig(env: Env = process.env): BackfillConfig {
  const common = pipelineConfig(env);
  const taskCount = integerVar(env, 'CLOUD_RUN_TASK_COUNT', 1, 1, 10_000);
  const taskIndex = integerVar(env, 'CLOUD_RUN_TASK_INDEX', 0, 0, 9_999);
  if (taskIndex >= taskCount) {
    throw new ConfigError(
      'CLOUD_RUN_TASK_INDEX',
      `CLOUD_RUN_TASK_INDEX must be below CLOUD_RUN_TASK_COUNT (${taskCount}), got ${taskIndex}`,
    );
  }
  const input = inputFolder(optionalVar(env, 'INPUT_FOLDER'), common.uploadBucket);
  if (input === undefined) {
    throw new ConfigError(
      'INPUT_FOLDER',
      'INPUT_FOLDER is required for the backfill (gs://bucket/prefix/, or a prefix in UPLOAD_BUCKET)',
    );
  }
  const served = buckets(optionalVar(env, 'BUCKETS'), common.uploadBucket ?? input.bucket);
  if (!served.has(input.bucket)) {
    throw new ConfigError(
      'INPUT_FOLDER',
      `INPUT_FOLDER names bucket ${input.bucket}, which is not one of BUCKETS (${[...served].join(', ')})`,
    );
  }
  return {
    ...common,
    buckets: served,
    input,
    taskIndex,
    taskCount,
    execution: executionVar(env),
    dryRun: booleanVar(env, 'DRY_RUN', false),
    maxRate: rateVar(env, 'MAX_RATE'),
    prune: booleanVar(env, 'PRUNE', false),
  };
}

// ---- the dead-letter replay (replay-main.ts) ---------------------------------------------------------------

/** Terraform's and local provisioning's dead-letter subscription. */
export const DEAD_LETTER_SUBSCRIPTION = 'thumbnailer-dead-letter';

export interface ReplayConfig extends WorkerConfig {
  /** `DEAD_LETTER_SUBSCRIPTION`: where the dead-lettered notifications wait. */
  deadLetterSubscription: string;
  /** `--apply`: re-drive each message and ack what settled. Default (`--dry-run`): classify, ack and write nothing. */
  apply: boolean;
  /** `--max-messages`: stop reading once this many distinct messages are held. */
  maxMessages: number;
  /** `--idle-seconds`: stop reading once no new message has arrived for this long. */
  idleMs: number;
}

const REPLAY_USAGE = 'usage: replay-dead-letters [--dry-run | --apply] [--max-messages N] [--idle-seconds S]';

/** A whole number flag within bounds; ConfigError naming the flag otherwise. */
function integerFlag(
  name: string,
  raw: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min || value > max)
    throw new ConfigError(
      name,
      `${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`,
    );
  return value;
}

/** The worker's configuration plus the replay's own: DEAD_LETTER_SUBSCRIPTION from the environment, flags from argv. */
export function loadReplayConfig(env: Env = process.env, argv: readonly string[] = []): ReplayConfig {
  const config = loadConfig(env);
  const deadLetterSubscription = optionalVar(env, 'DEAD_LETTER_SUBSCRIPTION') ?? DEAD_LETTER_SUBSCRIPTION;
  if (!SUBSCRIPTION.test(deadLetterSubscription)) {
    throw new ConfigError(
      'DEAD_LETTER_SUBSCRIPTION',
      `DEAD_LETTER_SUBSCRIPTION is not a valid subscription name: ${JSON.stringify(deadLetterSubscription)}`,
    );
  }
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      options: {
        apply: { type: 'boolean' },
        'dry-run': { type: 'boolean' },
        'max-messages': { type: 'string' },
        'idle-seconds': { type: 'string' },
      },
    }));
  } catch (err) {
    throw new ConfigError('argv', `${(err as Error).message}; ${REPLAY_USAGE}`);
  }
  if (values.apply && values['dry-run'])
    throw new ConfigError('--apply', `--apply and --dry-run exclude each other; ${REPLAY_USAGE}`);
  return {
    ...config,
    deadLetterSubscription,
    apply: values.apply === true,
    maxMessages: integerFlag(
      '--max-messages',
      values['max-messages'] as string | undefined,
      1000,
      1,
      100_000,
    ),
    idleMs: 1000 * integerFlag('--idle-seconds', values['idle-seconds'] as string | undefined, 5, 1, 600),
  };
}
