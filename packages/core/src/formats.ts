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

/** What people call each format. */
export const FORMAT_LABELS: Readonly<Record<ImageFormat, string>> = {
  jpeg: 'JPEG',
  png: 'PNG',
  webp: 'WebP',
  gif: 'GIF',
  avif: 'AVIF',
  tiff: 'TIFF',
};

/** The allow-list for people, in allow-list order: `JPEG, PNG, WebP, GIF, AVIF or TIFF`. */
export const ACCEPTED_FORMATS_LABEL = `${SUPPORTED_FORMATS.slice(0, -1)
  .map((f) => FORMAT_LABELS[f])
  .join(', ')} or ${FORMAT_LABELS[SUPPORTED_FORMATS.at(-1) ?? 'png']}`;

/** The format a source's thumbnail is written in: the source's own where it can be written, else PNG. */
export function thumbnailFormatFor(source: string): ImageFormat {
  return (SUPPORTED_FORMATS as readonly string[]).includes(source) ? (source as ImageFormat) : 'png';
}
