/**
 * Builds the pipeline from clients made in main.ts / backfill-main.ts: the storage adapter, the in-process
 * idempotency map and the cross-instance claim store, per bucket.
 */
import type { Storage } from '@google-cloud/storage';
import { thumbnailObjectName } from '@thumbnailer/core';
import type { Logger } from 'pino';
import type { WorkerConfig } from './config.js';
import { bucketObjects } from './gcs.js';
import { createPipeline, type Pipeline } from './pipeline.js';
import type { BucketPorts, Claims, Memo } from './ports.js';

export interface PipelineServices {
  storage: Storage;
  config: Pick<WorkerConfig, 'thumbnailPrefix' | 'thumbnailSize' | 'maxConcurrency'>;
  logger: Logger;
  signal?: AbortSignal;
}

// Interim until core's IdempotencyMap / ClaimStore land.
function interimMemo(): Memo {
  const states = new Map<string, 'in-flight' | 'done'>();
  return {
    begin(key) {
      const state = states.get(key);
      if (state) return state;
      states.set(key, 'in-flight');
      return 'started';
    },
    finish(key, ok) {
      if (ok) states.set(key, 'done');
      else states.delete(key);
    },
  };
}

const interimClaims: Claims = {
  claim: () => Promise.resolve({ status: 'claimed', claim: undefined }),
  complete: () => Promise.resolve(),
  release: () => Promise.resolve(),
};

export function createWorkerPipeline({ storage, config, logger, signal }: PipelineServices): Pipeline {
  const buckets = new Map<string, BucketPorts>();
  return createPipeline({
    bucket(name) {
      let ports = buckets.get(name);
      if (!ports) {
        ports = { objects: bucketObjects(storage.bucket(name)), claims: interimClaims };
        buckets.set(name, ports);
      }
      return ports;
    },
    memo: interimMemo(),
    keyOf: (bucket, name, generation) => `${bucket}/${name}@${generation}`,
    thumbnailName: thumbnailObjectName,
    thumbnailPrefix: config.thumbnailPrefix,
    thumbnailSize: config.thumbnailSize,
    maxConcurrency: config.maxConcurrency,
    logger,
    ...(signal ? { signal } : {}),
  });
}
