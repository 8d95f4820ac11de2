/**
 * Readers for environment variables, shared by the apps' `loadConfig(env)`. Each takes the env record it is
 * given (never the process environment itself) and throws one error shape: ConfigError naming the variable,
 * `<VARIABLE> must …, got <value>`.
 */
import { ConfigError } from './errors.js';
import { defaultRenditions, parseRenditions, type RenditionSpec } from './renditions.js';

export type Env = Readonly<Record<string, string | undefined>>;

const BUCKET_NAME = /^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/;
export const LOG_LEVELS: readonly string[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/** The trimmed value, or undefined when unset or blank. */
export function optionalVar(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/** A whole number in [min, max], or `fallback` when unset. */
export function integerVar(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = optionalVar(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw))
    throw new ConfigError(name, `${name} must be a whole number, got ${JSON.stringify(raw)}`);
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(name, `${name} must be between ${min} and ${max}, got ${raw}`);
  }
  return value;
}

/** Checks a Cloud Storage bucket name found in variable `name`. */
export function checkBucketName(name: string, value: string): string {
  if (!BUCKET_NAME.test(value)) {
    throw new ConfigError(name, `${name} is not a valid bucket name: ${JSON.stringify(value)}`);
  }
  return value;
}

/** An optional bucket name. */
export function bucketVar(env: Env, name: string): string | undefined {
  const value = optionalVar(env, name);
  return value === undefined ? undefined : checkBucketName(name, value);
}

/** `THUMBNAIL_PREFIX`: a folder like `thumbnails/` (ends in `/`, no leading `/`, no `..`). */
export function thumbnailPrefixVar(env: Env): string {
  const prefix = optionalVar(env, 'THUMBNAIL_PREFIX') ?? 'thumbnails/';
  if (!prefix.endsWith('/') || prefix.startsWith('/') || prefix.includes('..')) {
    throw new ConfigError(
      'THUMBNAIL_PREFIX',
      `THUMBNAIL_PREFIX must be a folder like "thumbnails/" (ending in "/", no leading "/" or ".."), got ${JSON.stringify(prefix)}`,
    );
  }
  return prefix;
}

/** `LOG_LEVEL`: a pino level name; default `info`. */
export function logLevelVar(env: Env): string {
  const level = optionalVar(env, 'LOG_LEVEL') ?? 'info';
  if (!LOG_LEVELS.includes(level)) {
    throw new ConfigError(
      'LOG_LEVEL',
      `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(level)}`,
    );
  }
  return level;
}

/**
 * `RENDITIONS`: the rendition set (renditions.ts); unset or blank: `thumb:<thumbnailSize>x<thumbnailSize>`, the
 * single thumbnail of old under its old name. Throws ConfigError naming RENDITIONS and the bad item.
 */
export function renditionsVar(env: Env, thumbnailSize: number): RenditionSpec[] {
  const value = optionalVar(env, 'RENDITIONS');
  return value === undefined ? defaultRenditions(thumbnailSize) : parseRenditions(value, thumbnailSize);
}
