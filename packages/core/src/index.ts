export * from './errors.js';
export {
  ACCEPTED_FORMATS_LABEL,
  CONTENT_TYPES,
  EXTENSIONS,
  FORMAT_LABELS,
  SUPPORTED_FORMATS,
  formatOfContentType,
  thumbnailFormatFor,
  type ImageFormat,
  type RenditionFormat,
} from './formats.js';
export * from './limits.js';
export * from './timestamp.js';
export { createThumbnail, type Thumbnail, type ThumbnailOptions } from './thumbnail.js';
export * from './probe.js';
export {
  FALLBACK_FILENAME,
  MAX_FILENAME_BYTES,
  isUnderPrefix,
  parseRenditionObjectName,
  renditionObjectName,
  safeFilename,
  thumbnailObjectName,
  uploadObjectName,
  withCollisionSuffix,
  type ParsedRenditionName,
  type ThumbnailSource,
} from './naming.js';
export { sniffFormat } from './sniff.js';
export type { ImageInput } from './input.js';
export {
  DEFAULT_RENDITION_NAME,
  DEFAULT_THUMBNAIL_SIZE,
  MAX_RENDITIONS,
  MAX_RENDITION_EDGE,
  canonicalSpec,
  defaultRenditions,
  outputFormat,
  parseRenditions,
  type Fit,
  type RenditionSpec,
} from './renditions.js';
export {
  renderRenditions,
  renditionSize,
  type RenderOptions,
  type RenderResult,
  type Rendition,
  type RenditionSize,
} from './render.js';
export { placeholdersOf, type Placeholders, type RawFrame } from './placeholders.js';
export * from './idempotency.js';
export * from './storage.js';
export * from './logging.js';
export * from './variables.js';
export { onShutdown, runMain, type ShutdownOptions } from './lifecycle.js';
export { nativeCrc32cValidator } from './crc32c.js';
