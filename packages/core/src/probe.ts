import type { ImageFormat } from './formats.js';
import type { ImageLimits } from './limits.js';

export interface ProbeResult {
  format: ImageFormat;
  contentType: string;
  /** Without the dot. */
  extension: string;
  width: number;
  height: number;
  /** Frames (1 for still images). */
  pages: number;
}

/**
 * Says from the bytes alone whether this is a supported raster image, fully decoding it so that truncated
 * or corrupt files are refused. Throws ImageError (empty_image, unsupported_format, corrupt_image,
 * pixel_limit, too_many_frames, image_timeout).
 */
export function probeImage(
  _input: Buffer | string,
  _limits: Partial<ImageLimits> = {},
): Promise<ProbeResult> {
  return Promise.reject(new Error('probeImage: not implemented yet'));
}
