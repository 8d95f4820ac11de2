/**
 * The raster formats thumbnailer accepts (input allow-list, enforced by magic bytes in sniff.ts) and can write.
 * Not accepted: SVG and PDF (never rasterised), HEIC/HEIF (sharp's prebuilt libvips has no HEVC decoder; only
 * AV1-coded AVIF is read from the HEIF container), JPEG XL, JPEG 2000, BMP, text, anything else.
 */
export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'avif' | 'tiff';

export const SUPPORTED_FORMATS: readonly ImageFormat[] = ['jpeg', 'png', 'webp', 'gif', 'avif', 'tiff'];

export const CONTENT_TYPES: Readonly<Record<ImageFormat, string>> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  gif: 'image/gif',
  avif: 'image/avif',
  tiff: 'image/tiff',
};

export const EXTENSIONS: Readonly<Record<ImageFormat, string>> = {
  jpeg: 'jpg',
  png: 'png',
  webp: 'webp',
  gif: 'gif',
  avif: 'avif',
  tiff: 'tiff',
};

/** The format a source's thumbnail is written in: the source's own where it can be written, else PNG. */
export function thumbnailFormatFor(source: string): ImageFormat {
  return (SUPPORTED_FORMATS as readonly string[]).includes(source) ? (source as ImageFormat) : 'png';
}
