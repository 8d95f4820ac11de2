/**
 * The process-wide set-up both worker entry scripts (main.ts, backfill-main.ts) share: sharp's threads and cache,
 * and the clients. Called from main(), never at import.
 */
import { PubSub } from '@google-cloud/pubsub';
import type { Storage } from '@google-cloud/storage';
import { createStorageClient } from '@thumbnailer/core';
import sharp from 'sharp';
import type { WorkerConfig } from './config.js';
import { createNotifier, silentNotifier, type Notifier } from './notify.js';

/**
 * Throughput comes from several images in parallel (MAX_CONCURRENCY), not from several libvips threads per image:
 * one thread per image avoids oversubscribing the CPUs and keeps per-image latency predictable. No libvips
 * operation cache: a worker never repeats an operation on the same input, so the cache only holds memory
 * (bench/README.md has the figures, with the deployment's MALLOC_ARENA_MAX=2).
 */
export function configureSharp(): void {
  sharp.concurrency(1);
  sharp.cache(false);
}

/**
 * The client reads STORAGE_EMULATOR_HOST itself (its own switch). Retries stay short and every request has a
 * timeout: a transient failure is better answered with a nack / 503 (redelivered later) than held for minutes.
 */
function createStorage(config: Pick<WorkerConfig, 'projectId' | 'storageTimeoutMs'>): Storage {
  return createStorageClient({
    ...(config.projectId ? { projectId: config.projectId } : {}),
    timeout: config.storageTimeoutMs,
    retryOptions: { autoRetry: true, maxRetries: 2, maxRetryDelay: 2, totalTimeout: 15 },
  });
}

export interface WorkerClients {
  /** The Cloud Storage client (each bucket's adapter is made from it). */
  storageClient: Storage;
  /** One Pub/Sub client, when something needs it (the subscription, EVENTS_TOPIC). */
  pubsub: PubSub | undefined;
  /** Publishes to EVENTS_TOPIC, or nowhere when it is unset. */
  notifier: Notifier;
}

/** The clients one worker process uses; each reads its emulator switch itself. */
export function createWorkerClients(
  config: Pick<WorkerConfig, 'projectId' | 'storageTimeoutMs' | 'eventsTopic'> & {
    subscription?: string | undefined;
  },
): WorkerClients {
  const pubsub =
    config.subscription || config.eventsTopic
      ? new PubSub(config.projectId ? { projectId: config.projectId } : {})
      : undefined;
  return {
    storageClient: createStorage(config),
    pubsub,
    notifier:
      pubsub && config.eventsTopic ? createNotifier({ pubsub, topic: config.eventsTopic }) : silentNotifier,
  };
}
