/** The raster formats thumbnailer accepts (input allow-list) and can write. */
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
