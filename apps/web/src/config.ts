/**
 * The web app's configuration: read from the environment once, validated, and passed in from there on.
 * A malformed value throws an Error naming the variable; main.ts prints that one line and exits.
 */

export interface WebConfig {
  /** Bucket for uploaded originals; undefined → the app answers 503 (page without a form, POST refused). */
  uploadBucket: string | undefined;
  /** Signs the flash cookie; undefined → main.ts makes a random per-process secret and logs a warning. */
  sessionSecret: string | undefined;
  port: number;
  maxUploadBytes: number;
  thumbnailPrefix: string;
  /** Uploads accepted per client address per minute (429 beyond). */
  rateLimitPerMinute: number;
  /** Optional, for the Cloud Logging trace field. */
  projectId: string | undefined;
  logLevel: string;
}

type Env = Record<string, string | undefined>;

const BUCKET_NAME = /^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/;
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

export function loadConfig(env: Env = process.env): WebConfig {
  const uploadBucket = optional(env, 'UPLOAD_BUCKET');
  if (uploadBucket !== undefined && !BUCKET_NAME.test(uploadBucket)) {
    throw new Error(`UPLOAD_BUCKET is not a valid bucket name: ${JSON.stringify(uploadBucket)}`);
  }

  const sessionSecret = optional(env, 'SESSION_SECRET');
  if (sessionSecret !== undefined && sessionSecret.length < 16) {
    throw new Error('SESSION_SECRET must be at least 16 characters long');
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

  return {
    uploadBucket,
    sessionSecret,
    port: integer(env, 'PORT', 8080, 1, 65535),
    maxUploadBytes: integer(env, 'MAX_UPLOAD_BYTES', 20 * 1024 * 1024, 1, 1024 * 1024 * 1024),
    thumbnailPrefix,
    rateLimitPerMinute: integer(env, 'RATE_LIMIT_PER_MINUTE', 60, 1, 1_000_000),
    projectId: optional(env, 'GOOGLE_CLOUD_PROJECT'),
    logLevel,
  };
}
