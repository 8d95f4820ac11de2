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

/** The allow-listed format of a content type (`image/jpeg` → `jpeg`; parameters and case ignored), if any. */
export function formatOfContentType(contentType: string | undefined): ImageFormat | undefined {
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  return SUPPORTED_FORMATS.find((format) => CONTENT_TYPES[format] === type);
}

/** The formats a rendition may ask for by name (`card:400x300:webp`); GIF and TIFF only ever as a source's own. */
export type RenditionFormat = 'jpeg' | 'png' | 'webp' | 'avif';

export const RENDITION_FORMATS: readonly RenditionFormat[] = ['jpeg', 'png', 'webp', 'avif'];

/** Outputs whose encoder takes a quality (1–100); the others are lossless and ignore one. */
export const LOSSY_FORMATS: ReadonlySet<ImageFormat> = new Set(['jpeg', 'webp', 'avif']);

/** Outputs that can hold an animation: an animated source stays animated in these, else its first frame is used. */
export const ANIMATED_FORMATS: ReadonlySet<ImageFormat> = new Set(['gif', 'webp']);

/** Outputs without an alpha channel: transparent sources are flattened onto white. */
export const OPAQUE_FORMATS: ReadonlySet<ImageFormat> = new Set(['jpeg']);
