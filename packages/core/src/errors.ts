/**
 * The few error classes of thumbnailer, each with a stable `code`.
 * Apps map them to HTTP statuses and delivery decisions in one place (their error middleware).
 */

/** Why an image was refused. Permanent: retrying the same bytes gives the same answer. */
export type ImageErrorCode =
  | 'empty_image' // zero bytes
  | 'unsupported_format' // not a raster format on the allow-list (text, SVG, PDF, unknown)
  | 'corrupt_image' // claims to be a supported format but cannot be decoded
  | 'pixel_limit' // declared dimensions exceed the decoded-pixel limit
  | 'too_many_frames' // animation longer than the frame limit
  | 'image_timeout'; // decoding/encoding took longer than the per-image time bound

export class ImageError extends Error {
  override readonly name = 'ImageError';
  constructor(
    readonly code: ImageErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Something outside us failed in a way that may go away: retry later (nack / 503). */
export type TransientErrorCode = 'storage_unavailable' | 'shutting_down';

export class TransientError extends Error {
  override readonly name = 'TransientError';
  constructor(
    readonly code: TransientErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isImageError(err: unknown): err is ImageError {
  return err instanceof ImageError;
}

export function isTransientError(err: unknown): err is TransientError {
  return err instanceof TransientError;
}
