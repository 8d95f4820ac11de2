/**
 * Builds the pipeline from clients made in main.ts / backfill-main.ts: core's storage adapter and claim store per
 * bucket, and one in-process idempotency map.
 */
import type { Storage } from '@google-cloud/storage';
import { ClaimStore, IdempotencyMap, StorageAdapter } from '@thumbnailer/core';
import type { Logger } from 'pino';
import type { WorkerConfig } from './config.js';
import { createPipeline, type BucketServices, type Pipeline } from './pipeline.js';

export interface PipelineServices {
  storage: Storage;
  config: Pick<WorkerConfig, 'thumbnailPrefix' | 'thumbnailSize' | 'maxConcurrency'>;
  logger: Logger;
  signal?: AbortSignal;
  /** How long a claim blocks other instances if this one dies mid-image. */
  claimLeaseMs?: number;
}

/** Long enough for any image under the per-image time bound; short enough that a crash does not stall a key. */
const CLAIM_LEASE_MS = 2 * 60_000;

export function createWorkerPipeline({
  storage,
  config,
  logger,
  signal,
  claimLeaseMs,
}: PipelineServices): Pipeline {
  const buckets = new Map<string, BucketServices>();
  return createPipeline({
    bucket(name) {
      let services = buckets.get(name);
      if (!services) {
        const adapter = new StorageAdapter(storage.bucket(name));
        const claims = new ClaimStore(adapter, {
          prefix: config.thumbnailPrefix,
          leaseMs: claimLeaseMs ?? CLAIM_LEASE_MS,
        });
        services = { storage: adapter, claims };
        buckets.set(name, services);
      }
      return services;
    },
    memo: new IdempotencyMap(),
    thumbnailPrefix: config.thumbnailPrefix,
    thumbnailSize: config.thumbnailSize,
    maxConcurrency: config.maxConcurrency,
    logger,
    ...(signal ? { signal } : {}),
  });
}
