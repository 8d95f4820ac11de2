/**
 * The single thumbnail of old, as one rendition of the engine (render.ts). Kept while apps/worker's pipeline and
 * apps/web's browser test still call it; delete it once they call renderRenditions.
 */
import type { ImageFormat } from './formats.js';
import type { ImageInput } from './input.js';
import type { ImageLimits } from './limits.js';
import { renderRenditions } from './render.js';
import { DEFAULT_THUMBNAIL_SIZE, MAX_RENDITION_EDGE, defaultRenditions } from './renditions.js';

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
 * The default rendition (`thumb:<size>x<size>`): fits inside size×size, never enlarged, orientation applied, no
 * metadata, in the source format where it can be written, else PNG; animated GIF/WebP stay animated. Throws
 * ImageError for refused input, RangeError for a size that is not an integer in 1…MAX_RENDITION_EDGE.
 */
export async function createThumbnail(input: ImageInput, options: ThumbnailOptions = {}): Promise<Thumbnail> {
  const size = options.size ?? DEFAULT_THUMBNAIL_SIZE;
  if (!Number.isSafeInteger(size) || size < 1 || size > MAX_RENDITION_EDGE) {
    throw new RangeError(`size must be an integer from 1 to ${MAX_RENDITION_EDGE}, got ${size}`);
  }
  const { renditions } = await renderRenditions(input, defaultRenditions(size), { limits: options.limits });
  const [thumb] = renditions;
  if (!thumb) throw new Error('the default rendition was not rendered');
  const { data, format, contentType, width, height, extension } = thumb;
  return { data, format, contentType, width, height, extension };
}
