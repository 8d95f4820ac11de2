/**
 * The web app's configuration: read from the environment once, validated, and passed in from there on.
 * A malformed value throws an Error naming the variable; main.ts prints that one line and exits.
 */
import {
  bucketVar,
  ConfigError,
  integerVar,
  logLevelVar,
  optionalVar,
  thumbnailPrefixVar,
  type Env,
} from '@thumbnailer/core';

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
  /** Uploads received and processed at once; more wait, unread, for a slot (bounds memory). */
  maxConcurrentUploads: number;
  /** Optional, for the Cloud Logging trace field. */
  projectId: string | undefined;
  logLevel: string;
}

export function loadConfig(env: Env = process.env): WebConfig {
  const uploadBucket = bucketVar(env, 'UPLOAD_BUCKET');

  const sessionSecret = optionalVar(env, 'SESSION_SECRET');
  if (sessionSecret !== undefined && sessionSecret.length < 16) {
    throw new ConfigError('SESSION_SECRET', 'SESSION_SECRET must be at least 16 characters long');
  }

  const thumbnailPrefix = thumbnailPrefixVar(env);

  const logLevel = logLevelVar(env);

  return {
    uploadBucket,
    sessionSecret,
    port: integerVar(env, 'PORT', 8080, 1, 65535),
    maxUploadBytes: integerVar(env, 'MAX_UPLOAD_BYTES', 20 * 1024 * 1024, 1, 1024 * 1024 * 1024),
    thumbnailPrefix,
    rateLimitPerMinute: integerVar(env, 'RATE_LIMIT_PER_MINUTE', 60, 1, 1_000_000),
    maxConcurrentUploads: integerVar(env, 'MAX_CONCURRENT_UPLOADS', 4, 1, 1000),
    projectId: optionalVar(env, 'GOOGLE_CLOUD_PROJECT'),
    logLevel,
  };
}
