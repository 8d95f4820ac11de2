/**
 * What every pipeline stage is given (one bucket's storage, the rendition set, where events and metrics go), and
 * the one way a stage settles an event as skipped.
 */
import type { BufferPool, RenditionSpec, StorageAdapter } from '@thumbnailer/core';
import type { Logger } from 'pino';
import type { WorkerMetrics, SkipReason } from './metrics.js';
import type { Notifier } from './notify.js';
import type { Outcome } from './outcomes.js';

/** What the stages need of a bucket's storage adapter (the seam the pipeline's unit tests fill in memory). */
export type PipelineStorage = Pick<StorageAdapter, 'stat' | 'download' | 'createOnly' | 'list' | 'delete'>;

export interface StageContext {
  storage: PipelineStorage;
  prefix: string;
  renditions: readonly RenditionSpec[];
  notifier: Notifier;
  metrics: Pick<WorkerMetrics, 'latency' | 'timeRender'>;
  /** Where sources are downloaded to: given back once their render has settled. */
  buffers: BufferPool;
  /** Runs a decode-and-encode when a CPU is free: downloads and writes of other images go on meanwhile. */
  cpu: <T>(work: () => Promise<T>) => Promise<T>;
  logger: Logger;
  clock: () => Date;
}

/** `permanent`: a real source refused for good (not an image, corrupt, gone), logged as a warning. */
export function skipped(reason: string, code: SkipReason, key: string, permanent = false): Outcome {
  return permanent
    ? { status: 'skipped', reason, code, key, permanent }
    : { status: 'skipped', reason, code, key };
}
