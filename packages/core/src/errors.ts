/**
 * One coded error base for everything thumbnailer refuses or postpones on purpose (in the manner of fastify's
 * `createError` and functions-framework's `OptionsError`): a stable `code` for logs and tables, and a message that
 * is safe to show. Each app maps codes to its delivery decision or HTTP status in one table; callers branch with
 * `instanceof`.
 */

export class CodedError<Code extends string = string> extends Error {
  constructor(
    readonly code: Code,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  override get name(): string {
    return this.constructor.name;
  }
}

/** Why an image was refused. Permanent: retrying the same bytes gives the same answer. */
export type ImageErrorCode =
  | 'empty_image' // zero bytes
  | 'unsupported_format' // not a raster format on the allow-list (text, SVG, PDF, unknown)
  | 'corrupt_image' // claims to be a supported format but cannot be decoded
  | 'pixel_limit' // declared dimensions exceed the decoded-pixel limit
  | 'too_many_frames' // animation longer than the frame limit
  | 'image_timeout'; // decoding/encoding took longer than the per-image time bound

export class ImageError extends CodedError<ImageErrorCode> {}

/** Something outside us failed in a way that may go away: retry later (nack / 503). */
export type TransientErrorCode =
  | 'storage_unavailable' // 5xx, 429, network failures, timeouts
  | 'storage_forbidden' // 403: a permission the deployment has to grant
  | 'events_unavailable' // EVENTS_TOPIC could not be published to
  | 'shutting_down';

export class TransientError extends CodedError<TransientErrorCode> {}

/** A missing or malformed environment variable: the process stops at start with this one line. */
export class ConfigError extends CodedError<'invalid_config'> {
  constructor(
    /** The variable at fault. */
    readonly variable: string,
    message: string,
  ) {
    super('invalid_config', message);
  }
}
