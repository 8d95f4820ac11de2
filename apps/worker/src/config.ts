/**
 * The worker's configuration (service and backfill job): read from the environment once, validated, and passed
 * in from there on. A malformed value throws an Error naming the variable; main.ts prints that one line and exits.
 */
import os from 'node:os';

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
  thumbnailSize: number;
  maxConcurrency: number;
  logLevel: string;
  /** Backfill only: `INPUT_FOLDER` resolved against `UPLOAD_BUCKET`. */
  inputFolder: InputFolder | undefined;
  uploadBucket: string | undefined;
  taskIndex: number;
  taskCount: number;
}

type Env = Record<string, string | undefined>;

const BUCKET_NAME = /^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/;
const SUBSCRIPTION = /^(projects\/[^/]+\/subscriptions\/)?[A-Za-z][\w.~+%-]{2,254}$/;
const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

function optional(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = optional(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new Error(`${name} must be a whole number, got ${JSON.stringify(raw)}`);
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be between ${min} and ${max}, got ${raw}`);
  }
  return value;
}

function bucketName(name: string, value: string): string {
  if (!BUCKET_NAME.test(value))
    throw new Error(`${name} is not a valid bucket name: ${JSON.stringify(value)}`);
  return value;
}

/** `gs://bucket/prefix/`, `gs://bucket`, or a prefix inside `UPLOAD_BUCKET`. */
function inputFolder(raw: string | undefined, uploadBucket: string | undefined): InputFolder | undefined {
  if (raw === undefined) return undefined;
  const gs = /^gs:\/\/([^/]+)\/?(.*)$/.exec(raw);
  let bucket: string | undefined;
  let prefix: string;
  if (gs) {
    bucket = bucketName('INPUT_FOLDER', gs[1] ?? '');
    prefix = gs[2] ?? '';
  } else {
    if (uploadBucket === undefined) {
      throw new Error(`INPUT_FOLDER ${JSON.stringify(raw)} is not a gs:// URL, and UPLOAD_BUCKET is not set`);
    }
    bucket = uploadBucket;
    prefix = raw.replace(/^\/+/, '');
  }
  if (prefix.includes('..'))
    throw new Error(`INPUT_FOLDER must not contain "..", got ${JSON.stringify(raw)}`);
  if (prefix !== '' && !prefix.endsWith('/')) prefix += '/';
  return { bucket, prefix };
}

export function loadConfig(env: Env = process.env): WorkerConfig {
  const subscription = optional(env, 'PUBSUB_SUBSCRIPTION');
  if (subscription !== undefined && !SUBSCRIPTION.test(subscription)) {
    throw new Error(`PUBSUB_SUBSCRIPTION is not a valid subscription name: ${JSON.stringify(subscription)}`);
  }

  const thumbnailPrefix = optional(env, 'THUMBNAIL_PREFIX') ?? 'thumbnails/';
  if (!thumbnailPrefix.endsWith('/') || thumbnailPrefix.startsWith('/') || thumbnailPrefix.includes('..')) {
    throw new Error(
      `THUMBNAIL_PREFIX must be a folder like "thumbnails/" (ending in "/", no leading "/" or ".."), got ${JSON.stringify(thumbnailPrefix)}`,
    );
  }

  const logLevel = optional(env, 'LOG_LEVEL') ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new Error(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(logLevel)}`);
  }

  const rawUploadBucket = optional(env, 'UPLOAD_BUCKET');
  const uploadBucket =
    rawUploadBucket === undefined ? undefined : bucketName('UPLOAD_BUCKET', rawUploadBucket);

  const taskCount = integer(env, 'CLOUD_RUN_TASK_COUNT', 1, 1, 10_000);
  const taskIndex = integer(env, 'CLOUD_RUN_TASK_INDEX', 0, 0, 9_999);
  if (taskIndex >= taskCount) {
    throw new Error(
      `CLOUD_RUN_TASK_INDEX must be below CLOUD_RUN_TASK_COUNT (${taskCount}), got ${taskIndex}`,
    );
  }

  return {
    port: integer(env, 'PORT', 8080, 1, 65535),
    projectId: optional(env, 'GOOGLE_CLOUD_PROJECT'),
    subscription,
    thumbnailPrefix,
    thumbnailSize: integer(env, 'THUMBNAIL_SIZE', 100, 1, 4096),
    maxConcurrency: integer(env, 'MAX_CONCURRENCY', 2 * os.availableParallelism(), 1, 1024),
    logLevel,
    inputFolder: inputFolder(optional(env, 'INPUT_FOLDER'), uploadBucket),
    uploadBucket,
    taskIndex,
    taskCount,
  };
}
