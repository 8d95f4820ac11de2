/**
 * The worker service: wiring only. Reads the config, makes the clients, starts the HTTP server and (when
 * PUBSUB_SUBSCRIPTION is set) the pull subscriber, and shuts both down on SIGTERM within 10 s.
 */
import type { Server } from 'node:http';
import { PubSub } from '@google-cloud/pubsub';
import { createLogger, createStorageClient } from '@thumbnailer/core';
import sharp from 'sharp';
import { createApp } from './app.js';
import { loadConfig, type WorkerConfig } from './config.js';
import { createPullConsumer, type PullConsumer } from './pull.js';
import { createWorkerPipeline } from './services.js';

// Throughput comes from several images in parallel (MAX_CONCURRENCY), not from several libvips threads per
// image: one thread per image avoids oversubscribing the CPUs and keeps per-image latency predictable.
sharp.concurrency(1);
// No libvips operation cache: a worker never repeats an operation on the same input, so the cache only holds
// memory. bench/README.md measured it with the default allocator's arenas capped (MALLOC_ARENA_MAX=2, set by the
// deployment files): peak RSS stays at ~190 MiB instead of 340+ MiB, and the CPU time per image is unchanged
// (sharp.cache(false) alone, without the arena cap, does not help: 390 MiB after six corpus passes).
sharp.cache(false);

/** Cloud Run gives 10 s between SIGTERM and SIGKILL; the subscriber gets most of it, the rest is margin. */
const SHUTDOWN_BUDGET_MS = 9_000;
const SUBSCRIBER_CLOSE_MS = 6_000;

let config: WorkerConfig;
try {
  config = loadConfig();
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}

const logger = createLogger({ service: 'worker', level: config.logLevel });
const controller = new AbortController();
// The client reads STORAGE_EMULATOR_HOST itself (its own switch). Retries stay short: a transient failure is
// better answered with a nack / 503 (redelivered later) than held for minutes.
const storage = createStorageClient({
  ...(config.projectId ? { projectId: config.projectId } : {}),
  retryOptions: { autoRetry: true, maxRetries: 2, maxRetryDelay: 2, totalTimeout: 15 },
});
const pubsub = config.subscription
  ? new PubSub(config.projectId ? { projectId: config.projectId } : {})
  : undefined;
const pipeline = createWorkerPipeline({ storage, config, logger, signal: controller.signal });
const app = createApp({ pipeline, logger, projectId: config.projectId, signal: controller.signal });

let consumer: PullConsumer | undefined;
if (pubsub && config.subscription) {
  consumer = createPullConsumer({
    pubsub,
    subscription: config.subscription,
    pipeline,
    logger,
    maxConcurrency: config.maxConcurrency,
    closeTimeoutMs: SUBSCRIBER_CLOSE_MS,
  });
  consumer.start();
}

const server: Server = app.listen(config.port, () => {
  logger.info(
    { port: config.port, subscription: config.subscription ?? null, maxConcurrency: config.maxConcurrency },
    'worker listening',
  );
});
server.on('error', (err) => {
  logger.fatal({ err }, 'the HTTP server failed');
  void shutdown('server error', 1);
});

let shuttingDown = false;
async function shutdown(reason: string, exitCode: number): Promise<void> {
  process.exitCode = Math.max(Number(process.exitCode ?? 0), exitCode);
  if (shuttingDown) return;
  shuttingDown = true;
  const started = Date.now();
  logger.info({ reason, active: pipeline.active }, 'shutting down');
  controller.abort(); // /event answers 503 retry; the pipeline starts nothing new
  setTimeout(() => {
    logger.error({ active: pipeline.active }, 'shutdown took too long; exiting');
    process.exit();
  }, SHUTDOWN_BUDGET_MS).unref();

  await consumer?.stop(); // waits for in-flight messages, then nacks what is left
  await new Promise<void>((resolve) => {
    server.close(() => resolve()); // waits for in-flight /event requests
    server.closeIdleConnections();
  });
  await pubsub?.close().catch((err: unknown) => logger.warn({ err }, 'closing the Pub/Sub client failed'));
  logger.info({ ms: Date.now() - started }, 'stopped');
  // Anything still holding the event loop (keep-alive sockets) must not hold the exit.
  setTimeout(() => process.exit(), 200).unref();
}

process.once('SIGTERM', () => void shutdown('SIGTERM', 0));
process.once('SIGINT', () => void shutdown('SIGINT', 0));
process.on('unhandledRejection', (err) => {
  logger.fatal({ err }, 'unhandled rejection');
  void shutdown('unhandled rejection', 1);
});
