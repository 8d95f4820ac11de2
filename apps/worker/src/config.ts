/**
 * The worker's configuration (service and backfill job): read from the environment once, validated, and passed
 * in from there on. A malformed value throws an Error naming the variable; main.ts prints that one line and exits.
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

export interface WorkerConfig {
  port: number;
  projectId: string | undefined;
  /** Unset → no pull; only `POST /event` works. */
  subscription: string | undefined;
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
  /** Backfill only: `INPUT_FOLDER` resolved against `UPLOAD_BUCKET`. */
  inputFolder: InputFolder | undefined;
  uploadBucket: string | undefined;
  taskIndex: number;
  taskCount: number;
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

export function loadConfig(env: Env = process.env): WorkerConfig {
  const subscription = optionalVar(env, 'PUBSUB_SUBSCRIPTION');
  if (subscription !== undefined && !SUBSCRIPTION.test(subscription)) {
    throw new ConfigError(
      'PUBSUB_SUBSCRIPTION',
      `PUBSUB_SUBSCRIPTION is not a valid subscription name: ${JSON.stringify(subscription)}`,
    );
  }

  const thumbnailPrefix = thumbnailPrefixVar(env);

  const logLevel = logLevelVar(env);

  const uploadBucket = bucketVar(env, 'UPLOAD_BUCKET');

  const taskCount = integerVar(env, 'CLOUD_RUN_TASK_COUNT', 1, 1, 10_000);
  const taskIndex = integerVar(env, 'CLOUD_RUN_TASK_INDEX', 0, 0, 9_999);
  if (taskIndex >= taskCount) {
    throw new ConfigError(
      'CLOUD_RUN_TASK_INDEX',
      `CLOUD_RUN_TASK_INDEX must be below CLOUD_RUN_TASK_COUNT (${taskCount}), got ${taskIndex}`,
    );
  }

  const input = inputFolder(optionalVar(env, 'INPUT_FOLDER'), uploadBucket);
  const served = buckets(optionalVar(env, 'BUCKETS'), uploadBucket ?? input?.bucket);
  if (input && !served.has(input.bucket)) {
    throw new ConfigError(
      'INPUT_FOLDER',
      `INPUT_FOLDER names bucket ${input.bucket}, which is not one of BUCKETS (${[...served].join(', ')})`,
    );
  }

  return {
    port: integerVar(env, 'PORT', 8080, 1, 65535),
    projectId: optionalVar(env, 'GOOGLE_CLOUD_PROJECT'),
    subscription,
    thumbnailPrefix,
    renditions: renditionsVar(env, integerVar(env, 'THUMBNAIL_SIZE', 100, 1, 4096)),
    eventsTopic: topicVar(env, 'EVENTS_TOPIC'),
    maxConcurrency: integerVar(env, 'MAX_CONCURRENCY', 2 * os.availableParallelism(), 1, 1024),
    logLevel,
    buckets: served,
    storageTimeoutMs: 1000 * integerVar(env, 'STORAGE_TIMEOUT_SECONDS', 30, 1, 600),
    inputFolder: input,
    uploadBucket,
    taskIndex,
    taskCount,
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
