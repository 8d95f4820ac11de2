/**
 * The worker's configuration (service and backfill job): read from the environment once, validated, and passed
 * in from there on. A malformed value throws an Error naming the variable; main.ts prints that one line and exits.
 */
import os from 'node:os';
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
