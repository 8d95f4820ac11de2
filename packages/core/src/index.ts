// @thumbnailer/core: what web, worker and the backfill job share. An explicit list, by concern.

// Errors: one coded base; the apps map codes to delivery decisions and statuses.
export {
  CodedError,
  ConfigError,
  ImageError,
  TransientError,
  type ImageErrorCode,
  type TransientErrorCode,
} from './errors.js';

// Formats and untrusted input.
export {
  ACCEPTED_FORMATS_LABEL,
  CONTENT_TYPES,
  EXTENSIONS,
  FORMAT_LABELS,
  SUPPORTED_FORMATS,
  formatOfContentType,
  thumbnailFormatFor,
  type ImageFormat,
} from './formats.js';
export { DEFAULT_LIMITS, type ImageLimits } from './limits.js';
export { sniffFormat } from './sniff.js';
export type { ImageInput } from './input.js';
export { probeImage, type ProbeResult } from './probe.js';

// Renditions: specs, the decode-once engine, placeholders.
export {
  DEFAULT_THUMBNAIL_SIZE,
  canonicalSpec,
  defaultRenditions,
  outputFormat,
  parseRenditions,
  type RenditionSpec,
} from './renditions.js';
export { renderRenditions, type RenderOptions, type RenderResult, type Rendition } from './render.js';
export { placeholdersOf, type RawFrame } from './placeholders.js';

// Names and time.
export {
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
export { formatTimestamp, systemClock, type Clock } from './timestamp.js';

// Exactly once.
export { IdempotencyMap, idempotencyKey } from './idempotency.js';

// Cloud Storage.
export {
  STORAGE_OPS,
  StorageAdapter,
  createStorageClient,
  rethrowStorageError,
  storageErrorStatus,
  type CreateResult,
  type DeleteResult,
  type DownloadResult,
  type ListOptions,
  type StorageAdapterOptions,
  type StorageOp,
  type StoredObject,
  type WriteOptions,
} from './storage.js';
export { BufferPool, type BufferPoolOptions } from './buffers.js';

// Process: configuration, logging, the entry-script shape.
export {
  bucketVar,
  checkBucketName,
  integerVar,
  logLevelVar,
  optionalVar,
  renditionsVar,
  thumbnailPrefixVar,
  type Env,
} from './variables.js';
export { createLogger, traceFields, type LoggerOptions } from './logging.js';
export { onShutdown, runMain, type ShutdownOptions } from './lifecycle.js';
