/**
 * The web app's own error class and the one table that turns any refusal into an HTTP status and a message.
 * Core's ImageError (refused bytes) and TransientError (storage down) go through the same table; where core's
 * wording is the more specific (an SVG, a PDF, the declared pixel count), the user sees core's.
 */
import {
  CodedError,
  ImageError,
  TransientError,
  type ImageErrorCode,
  type TransientErrorCode,
} from '@thumbnailer/core';
import multer from 'multer';

export type UploadErrorCode =
  | 'not_configured' // UPLOAD_BUCKET is not set
  | 'no_file' // no file part, or a file part without content
  | 'too_large' // over MAX_UPLOAD_BYTES
  | 'too_slow' // the body stopped or trickled below the minimum rate
  | 'bad_form' // too many files/fields/parts, unexpected field, malformed multipart body
  | 'rate_limited' // too many uploads from this address
  | 'not_found'; // no such object / route, or not this session's

export class UploadError extends CodedError<UploadErrorCode> {}

type Code = UploadErrorCode | ImageErrorCode | TransientErrorCode;

/** Status per code, and the message where ours is better than the error's own (core's, or the route's). */
const ANSWERS: Readonly<Record<Code, { status: number; message?: string }>> = {
  not_configured: { status: 503 },
  no_file: { status: 400 },
  too_large: { status: 413 },
  too_slow: { status: 408 },
  bad_form: { status: 400 },
  rate_limited: { status: 429 },
  not_found: { status: 404 },
  empty_image: { status: 400, message: 'The file is empty. Choose an image to upload.' },
  unsupported_format: { status: 415 }, // core: "The file is an SVG (vector) image; accepted: …"
  corrupt_image: {
    status: 422,
    // core's carries libvips' own words ("VipsJpeg: Premature end of input file")
    message: 'The file looks like an image but could not be decoded (truncated or corrupt).',
  },
  pixel_limit: { status: 422 }, // core: "The image declares 30000×30000, over the limit of … pixels."
  too_many_frames: { status: 422 },
  image_timeout: { status: 422 },
  storage_unavailable: {
    status: 503,
    message: 'Storage is unavailable right now. Nothing was stored; please try again in a moment.',
  },
  storage_forbidden: {
    status: 503,
    message: 'Storage refused the request. Nothing was stored; the operators have been told.',
  },
  events_unavailable: { status: 503 }, // the web app publishes no events; kept for a complete table
  shutting_down: { status: 503, message: 'The service is restarting. Please try again in a moment.' },
};

export interface HttpProblem {
  status: number;
  /** Stable machine-readable reason, for logs. */
  reason: string;
  /** Human-readable, safe to show to the user (never contains request data). */
  message: string;
}

/** The single mapping from an error to status + reason + message, used by the error middleware. */
export function toHttpProblem(err: unknown): HttpProblem {
  if (err instanceof UploadError || err instanceof ImageError || err instanceof TransientError) {
    const answer = ANSWERS[err.code];
    return { status: answer.status, reason: err.code, message: answer.message ?? err.message };
  }
  const status = httpStatusOf(err);
  if (status !== undefined && status >= 400 && status < 500) {
    return {
      status,
      reason: 'http_error',
      message: status === 404 ? 'There is nothing at this address.' : 'The request could not be understood.',
    };
  }
  return { status: 500, reason: 'internal', message: 'Something went wrong on our side. Please try again.' };
}

/** The status carried by http-errors style errors (express.static, body parsers). */
function httpStatusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const { status, statusCode } = err as { status?: unknown; statusCode?: unknown };
  const value = typeof status === 'number' ? status : statusCode;
  return typeof value === 'number' && Number.isInteger(value) ? value : undefined;
}

/** Formats a byte count the way the page states the limit: 20971520 → "20 MB". */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KB', 'MB', 'GB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const rounded = Number.isInteger(value) ? String(value) : value.toFixed(1);
  return `${rounded} ${units[unit]}`;
}

/**
 * Anything multer (or busboy underneath it) reports is the client's fault: a limit or a malformed body.
 * Known limit codes get a precise message; everything else is a malformed form (400).
 */
export function fromMulterError(err: unknown, maxUploadBytes: number): UploadError {
  if (err instanceof multer.MulterError) {
    switch (err.code) {
      case 'LIMIT_FILE_SIZE':
        return new UploadError(
          'too_large',
          `The file is larger than the ${formatBytes(maxUploadBytes)} limit.`,
          { cause: err },
        );
      case 'LIMIT_FILE_COUNT':
        return new UploadError('bad_form', 'Upload one file at a time.', { cause: err });
      case 'LIMIT_UNEXPECTED_FILE':
        return new UploadError('bad_form', 'Send the image in the form field named "file".', { cause: err });
      case 'LIMIT_PART_COUNT':
      case 'LIMIT_FIELD_COUNT':
        return new UploadError('bad_form', 'The form has too many parts.', { cause: err });
      case 'LIMIT_FIELD_KEY':
      case 'LIMIT_FIELD_VALUE':
        return new UploadError('bad_form', 'A form field is too long.', { cause: err });
      default:
        return new UploadError('bad_form', 'The upload form could not be read.', { cause: err });
    }
  }
  return new UploadError('bad_form', 'The upload could not be read (malformed multipart body).', {
    cause: err,
  });
}
