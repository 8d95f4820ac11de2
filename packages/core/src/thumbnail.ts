import sharp, { type Sharp } from 'sharp';
import { CONTENT_TYPES, EXTENSIONS, thumbnailFormatFor, type ImageFormat } from './formats.js';
import { imageErrorFromSharp, openImage, type ImageInput } from './input.js';
import { resolveLimits, type ImageLimits } from './limits.js';

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

export const DEFAULT_THUMBNAIL_SIZE = 100;

/**
 * Encoder settings, chosen for speed at thumbnail sizes: plain libjpeg-turbo (no mozjpeg trellis), moderate zlib,
 * low effort for the slow encoders. Metadata is never kept (sharp strips EXIF/XMP/ICC unless asked).
 */
function encode(pipeline: Sharp, format: ImageFormat): Sharp {
  switch (format) {
    case 'jpeg':
      return pipeline.jpeg({ quality: 80, mozjpeg: false, progressive: false });
    case 'png':
      return pipeline.png({ compressionLevel: 6, adaptiveFiltering: false });
    case 'webp':
      return pipeline.webp({ quality: 80, effort: 2 });
    case 'gif':
      return pipeline.gif({ effort: 3 });
    case 'avif':
      return pipeline.avif({ quality: 50, effort: 2 });
    case 'tiff':
      return pipeline.tiff({ compression: 'lzw' });
  }
}

/**
 * Makes a thumbnail that fits inside size×size, never enlarged, EXIF orientation applied, no metadata kept,
 * in the source format where it can be written, else PNG. Animated GIF/WebP stay animated.
 * Input: bytes, a file path, or a stream (collected into memory; prefer bytes or a path). Throws ImageError for
 * refused input, RangeError for bad options.
 *
 * Fast path: sharp resizes straight from the decoder (JPEG/WebP shrink-on-load) because nothing but orientation
 * comes before the resize. Sharp's thread pool (`sharp.concurrency`) is left to the caller.
 */
export async function createThumbnail(input: ImageInput, options: ThumbnailOptions = {}): Promise<Thumbnail> {
  const size = options.size ?? DEFAULT_THUMBNAIL_SIZE;
  if (!Number.isSafeInteger(size) || size < 1)
    throw new RangeError(`size must be a positive integer, got ${size}`);
  const limits = resolveLimits(options.limits);
  const image = await openImage(input, limits);
  const format = thumbnailFormatFor(image.format);

  let pipeline = sharp(image.source, image.sharpOptions)
    .timeout({ seconds: limits.timeoutSeconds })
    .autoOrient()
    .resize(size, size, { fit: 'inside', withoutEnlargement: true });
  if (image.space === 'cmyk') pipeline = pipeline.toColourspace('srgb');
  pipeline = encode(pipeline, format);

  try {
    const { data, info } = await pipeline.toBuffer({ resolveWithObject: true });
    return {
      data,
      format,
      contentType: CONTENT_TYPES[format],
      width: info.width,
      height: info.pageHeight ?? info.height,
      extension: EXTENSIONS[format],
    };
  } catch (err) {
    throw imageErrorFromSharp(err);
  }
}
