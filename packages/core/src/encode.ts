/**
 * The encoder table: one setting per output format, chosen for speed at thumbnail sizes — plain libjpeg-turbo (no
 * mozjpeg trellis), moderate zlib, low effort for the slow encoders. Metadata is never kept (sharp strips
 * EXIF/XMP/ICC unless asked, and nothing here asks).
 */
import type { Sharp } from 'sharp';
import type { ImageFormat } from './formats.js';

/** Quality each lossy encoder uses when a rendition names none (`q1`…`q100` overrides it). */
export const DEFAULT_QUALITY: Readonly<Partial<Record<ImageFormat, number>>> = {
  jpeg: 80,
  webp: 80,
  avif: 50,
};

export interface EncodeOptions {
  /** 1–100, lossy formats only (LOSSY_FORMATS); undefined: DEFAULT_QUALITY. Ignored by lossless formats. */
  quality?: number;
  /** Frame delays (ms) and loop count of an animated output (GIF, WebP); undefined for a still image. */
  animation?: { delay?: number[]; loop?: number };
}

/** Adds the output step for `format` to `pipeline`. */
export function encode(pipeline: Sharp, format: ImageFormat, options: EncodeOptions = {}): Sharp {
  const quality = options.quality ?? DEFAULT_QUALITY[format];
  const animation = options.animation ?? {};
  switch (format) {
    case 'jpeg':
      return pipeline.jpeg({ quality, mozjpeg: false, progressive: false });
    case 'png':
      return pipeline.png({ compressionLevel: 6, adaptiveFiltering: false });
    case 'webp':
      return pipeline.webp({ quality, effort: 2, ...animation });
    case 'gif':
      return pipeline.gif({ effort: 3, ...animation });
    case 'avif':
      return pipeline.avif({ quality, effort: 2 });
    case 'tiff':
      return pipeline.tiff({ compression: 'lzw' });
  }
}
