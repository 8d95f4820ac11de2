/**
 * Opening untrusted image input: bytes, a file path or a stream. Everything here happens before a single pixel
 * is decoded: empty check, magic-byte allow-list, header-only metadata, pixel and frame limits. Also the one
 * place that turns sharp's errors into ImageErrors.
 */
import { open, stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import sharp, { type Metadata, type SharpOptions } from 'sharp';
import { ImageError } from './errors.js';
import { ACCEPTED_FORMATS_LABEL, type ImageFormat } from './formats.js';
import type { ImageLimits } from './limits.js';
import { SNIFF_BYTES, describeUnsupported, sniffFormat } from './sniff.js';

export type ImageInput = Buffer | string | Readable;

export interface OpenedImage {
  /** What to hand to sharp: the bytes, or the file path. */
  source: Buffer | string;
  format: ImageFormat;
  /** sharp constructor options every later decode must use (pixel limit, strictness, animation). */
  sharpOptions: SharpOptions;
  /** Display size of one frame, EXIF orientation applied. */
  width: number;
  height: number;
  /** Frames decoded: > 1 only for animated GIF/WebP (only the first page of a multi-page TIFF/AVIF is used). */
  pages: number;
  /** Frame delays in ms and loop count (0: forever) of an animation, as the file declares them. */
  delay: number[] | undefined;
  loop: number | undefined;
}

/** The format name sharp's metadata reports for each allow-listed format. */
const SHARP_FORMAT: Readonly<Record<ImageFormat, string>> = {
  jpeg: 'jpeg',
  png: 'png',
  webp: 'webp',
  gif: 'gif',
  avif: 'heif',
  tiff: 'tiff',
};

const ANIMATABLE: ReadonlySet<ImageFormat> = new Set(['gif', 'webp']);

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream)
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}

async function readHead(path: string): Promise<{ head: Buffer; size: number }> {
  const { size } = await stat(path);
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(Math.min(SNIFF_BYTES, size));
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return { head: head.subarray(0, bytesRead), size };
  } finally {
    await handle.close();
  }
}

/** Turns an error thrown by sharp/libvips into the ImageError it means. ImageErrors pass through unchanged. */
export function imageErrorFromSharp(err: unknown): ImageError {
  if (err instanceof ImageError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (/exceeds pixel limit/i.test(message)) {
    return new ImageError('pixel_limit', 'The image has more pixels than allowed.', { cause: err });
  }
  if (/\btimeout\b/i.test(message)) {
    return new ImageError('image_timeout', 'The image took too long to process.', { cause: err });
  }
  if (/unsupported image format/i.test(message)) {
    return new ImageError('unsupported_format', 'The file is not a supported raster image.', { cause: err });
  }
  return new ImageError('corrupt_image', `The image could not be decoded: ${message}`, { cause: err });
}

/**
 * Reads the header only and applies every check that does not need pixels. Throws ImageError
 * (empty_image, unsupported_format, corrupt_image, pixel_limit, too_many_frames).
 */
export async function openImage(input: ImageInput, limits: ImageLimits): Promise<OpenedImage> {
  let source: Buffer | string;
  let head: Buffer;
  let size: number;
  if (typeof input === 'string') {
    source = input;
    ({ head, size } = await readHead(input));
  } else {
    source = Buffer.isBuffer(input) ? input : await collect(input);
    head = source.subarray(0, SNIFF_BYTES);
    size = source.length;
  }
  if (size === 0) throw new ImageError('empty_image', 'The file is empty.');

  const format = sniffFormat(head);
  if (!format) {
    throw new ImageError(
      'unsupported_format',
      `The file is ${describeUnsupported(head)}; accepted: ${ACCEPTED_FORMATS_LABEL}.`,
    );
  }

  const probeOptions: SharpOptions = {
    failOn: 'error',
    limitInputPixels: limits.maxPixels,
    animated: ANIMATABLE.has(format),
  };
  let meta: Metadata;
  try {
    meta = await sharp(source, probeOptions).metadata();
  } catch (err) {
    throw imageErrorFromSharp(err);
  }
  if (meta.format !== SHARP_FORMAT[format] || (format === 'avif' && meta.compression !== 'av1')) {
    throw new ImageError(
      'unsupported_format',
      `The file looks like ${format} but decodes as ${meta.format}.`,
    );
  }
  const width = meta.width;
  const frameHeight = meta.pageHeight ?? meta.height;
  const pages = ANIMATABLE.has(format) ? (meta.pages ?? 1) : 1;
  if (!width || !frameHeight) throw new ImageError('corrupt_image', 'The image declares no dimensions.');
  if (width * frameHeight * pages > limits.maxPixels) {
    throw new ImageError(
      'pixel_limit',
      `The image declares ${width}×${frameHeight}${pages > 1 ? ` × ${pages} frames` : ''}, ` +
        `over the limit of ${limits.maxPixels} pixels.`,
    );
  }
  if (pages > limits.maxFrames) {
    throw new ImageError(
      'too_many_frames',
      `The animation has ${pages} frames, over the limit of ${limits.maxFrames}.`,
    );
  }
  const animated = pages > 1;
  return {
    source,
    format,
    sharpOptions: { failOn: 'error', limitInputPixels: limits.maxPixels, animated },
    width: animated ? width : meta.autoOrient.width,
    height: animated ? frameHeight : meta.autoOrient.height,
    pages,
    delay: animated ? meta.delay : undefined,
    loop: animated ? meta.loop : undefined,
  };
}
