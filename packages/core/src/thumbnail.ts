import type { Readable } from 'node:stream';
import type { ImageFormat } from './formats.js';
import type { ImageLimits } from './limits.js';

export interface ThumbnailOptions {
  /** Edge of the square bounding box, in pixels. Default 100. */
  size?: number;
  limits?: Partial<ImageLimits>;
}

export interface Thumbnail {
  data: Buffer;
  format: ImageFormat;
  contentType: string;
  width: number;
  height: number;
  /** Without the dot: `jpg`, `png`, … */
  extension: string;
}

/**
 * Makes a thumbnail that fits inside size×size, never enlarged, EXIF orientation applied, no metadata kept,
 * in the source format where it can be written, else PNG. Animated GIF/WebP stay animated.
 * Input: bytes, a file path, or a stream. Throws ImageError for refused input.
 */
export function createThumbnail(
  _input: Buffer | string | Readable,
  _options: ThumbnailOptions = {},
): Promise<Thumbnail> {
  return Promise.reject(new Error('createThumbnail: not implemented yet'));
}
