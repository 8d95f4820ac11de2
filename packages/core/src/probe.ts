import sharp from 'sharp';
import { CONTENT_TYPES, EXTENSIONS, type ImageFormat } from './formats.js';
import { imageErrorFromSharp, openImage } from './input.js';
import { resolveLimits, type ImageLimits } from './limits.js';

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
 *
 * The decode reads every byte of every frame but resizes straight to a few pixels (shrink-on-load), so it costs
 * a fraction of a full-size decode. Width and height are the displayed ones (EXIF orientation applied).
 */
export async function probeImage(
  input: Buffer | string,
  limits: Partial<ImageLimits> = {},
): Promise<ProbeResult> {
  const resolved = resolveLimits(limits);
  const image = await openImage(input, resolved);
  try {
    await sharp(image.source, image.sharpOptions)
      .timeout({ seconds: resolved.timeoutSeconds })
      .resize(8, 8, { fit: 'inside' })
      .raw()
      .toBuffer();
  } catch (err) {
    throw imageErrorFromSharp(err);
  }
  return {
    format: image.format,
    contentType: CONTENT_TYPES[image.format],
    extension: EXTENSIONS[image.format],
    width: image.width,
    height: image.height,
    pages: image.pages,
  };
}
