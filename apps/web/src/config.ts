/**
 * The web app's configuration: read from the environment once, validated, and passed in from there on.
 * A malformed value throws a ConfigError naming the variable; main.ts prints that one line and exits.
 */
import {
  bucketVar,
  ConfigError,
  integerVar,
  logLevelVar,
  optionalVar,
  renditionsVar,
  thumbnailPrefixVar,
  type Env,
  type RenditionSpec,
} from '@thumbnailer/core';

/** What the page shows: this browser's uploads (default), the bucket's recent uploads, or none. */
export type GalleryMode = 'session' | 'public' | 'off';
export const GALLERY_MODES: readonly GalleryMode[] = ['session', 'public', 'off'];

export interface WebConfig {
  /** Bucket for uploaded originals; undefined → the app answers 503 (page without a form, POST refused). */
  uploadBucket: string | undefined;
  /** Signs the flash cookie; undefined → main.ts makes a random per-process secret and logs a warning. */
  sessionSecret: string | undefined;
  port: number;
  maxUploadBytes: number;
  thumbnailPrefix: string;
  /**
   * `RENDITIONS` (default `thumb:<THUMBNAIL_SIZE>x<THUMBNAIL_SIZE>`), as the worker reads it: which renditions of a
   * source exist and what they are called. The first is the one the page shows.
   */
  renditions: RenditionSpec[];
  /** Uploads accepted per client address per minute (429 beyond). */
  rateLimitPerMinute: number;
  /** Uploads received and processed at once; more wait, unread, for a slot (bounds memory). */
  maxConcurrentUploads: number;
  gallery: GalleryMode;
  /** Proxy hops in front of the app whose X-Forwarded-For is believed (client address), or false. */
  trustProxy: number | false;
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
    renditions: renditionsVar(env, integerVar(env, 'THUMBNAIL_SIZE', 100, 1, 4096)),
    rateLimitPerMinute: integerVar(env, 'RATE_LIMIT_PER_MINUTE', 60, 1, 1_000_000),
    maxConcurrentUploads: integerVar(env, 'MAX_CONCURRENT_UPLOADS', 4, 1, 1000),
    gallery: galleryVar(env),
    trustProxy: trustProxyVar(env),
    projectId: optionalVar(env, 'GOOGLE_CLOUD_PROJECT'),
    logLevel,
  };
}

function galleryVar(env: Env): GalleryMode {
  const value = optionalVar(env, 'GALLERY') ?? 'session';
  if (!(GALLERY_MODES as readonly string[]).includes(value)) {
    throw new ConfigError(
      'GALLERY',
      `GALLERY must be one of ${GALLERY_MODES.join(', ')}, got ${JSON.stringify(value)}`,
    );
  }
  return value as GalleryMode;
}

/**
 * `TRUST_PROXY`: a hop count or `off`. Unset: one hop on Cloud Run (its front end appends the client address to
 * X-Forwarded-For; Cloud Run sets `K_SERVICE` in every service), off anywhere else, where a client could send the
 * header itself.
 */
function trustProxyVar(env: Env): number | false {
  const value = optionalVar(env, 'TRUST_PROXY');
  if (value === undefined) return optionalVar(env, 'K_SERVICE') === undefined ? false : 1;
  if (value === 'off' || value === '0') return false;
  if (!/^\d{1,2}$/.test(value) || Number(value) > 10) {
    throw new ConfigError(
      'TRUST_PROXY',
      `TRUST_PROXY must be a number of proxy hops (1 to 10) or off, got ${JSON.stringify(value)}`,
    );
  }
  return Number(value);
}
