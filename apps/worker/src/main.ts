/**
 * The worker service: wiring only. Reads the config, makes the clients, starts the HTTP server and (when
 * PUBSUB_SUBSCRIPTION is set) the pull subscriber, and shuts both down on SIGTERM within Cloud Run's 10 s.
 */
import { once } from 'node:events';
import { createLogger, onShutdown, runMain } from '@thumbnailer/core';
import { createApp } from './app.js';
import { loadConfig } from './config.js';
import { createWorkerMetrics } from './metrics.js';
import { createWorkerPipeline } from './pipeline.js';
import { createPullConsumer } from './pull.js';
import { configureSharp, createWorkerClients } from './runtime.js';

/** The subscriber gets most of the shutdown budget to finish in-flight images; the rest is margin. */
const SUBSCRIBER_CLOSE_MS = 6_000;

async function main(): Promise<void> {
  const config = loadConfig();
  configureSharp();
  const logger = createLogger({ service: 'worker', level: config.logLevel });
  const controller = new AbortController();
  const { storageClient, pubsub, notifier } = createWorkerClients(config);
  const metrics = createWorkerMetrics();
  const pipeline = createWorkerPipeline({
    storageClient,
    config,
    logger,
    notifier,
    metrics,
    signal: controller.signal,
  });
  metrics.inFlightFrom(() => pipeline.active);
  const app = createApp({
    pipeline,
    logger,
    metrics,
    projectId: config.projectId,
    signal: controller.signal,
  });
  const consumer =
    pubsub && config.subscription
      ? createPullConsumer({
          pubsub,
          subscription: config.subscription,
          pipeline,
          logger,
          metrics,
          maxConcurrency: config.maxConcurrency,
          closeTimeoutMs: SUBSCRIBER_CLOSE_MS,
        })
      : undefined;

  const server = app.listen(config.port);
  const shutdown = onShutdown({
    logger,
    async stop() {
      controller.abort(); // /event answers 503 retry; the pipeline starts nothing new
      await consumer?.stop(); // waits for in-flight messages, then nacks what is left
      await new Promise<void>((resolve) => {
        server.close(() => resolve()); // waits for in-flight /event requests
        server.closeIdleConnections();
      });
      await pubsub
        ?.close()
        .catch((err: unknown) => logger.warn({ err }, 'closing the Pub/Sub client failed'));
    },
  });
  server.on('error', (err) => {
    logger.fatal({ err }, 'the HTTP server failed');
    void shutdown('server error', 1);
  });
  await once(server, 'listening');
  logger.info(
    {
      port: config.port,
      subscription: config.subscription ?? null,
      buckets: [...config.buckets],
      maxConcurrency: config.maxConcurrency,
    },
    'worker listening',
  );
  consumer?.start();
}

runMain(main);
