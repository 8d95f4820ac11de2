/**
 * `npm run backfill` / the Cloud Run Job entry point: wiring only (the logic is in backfill.ts).
 * Exit status: 0 when nothing failed, 1 otherwise (or when the configuration is unusable).
 */
import { ConfigError, createLogger, runMain, StorageAdapter } from '@thumbnailer/core';
import { runBackfill } from './backfill.js';
import { loadConfig } from './config.js';
import { createWorkerPipeline } from './pipeline.js';
import { createWorkerMetrics } from './metrics.js';
import { configureSharp, createWorkerClients } from './runtime.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const input = config.inputFolder;
  if (!input)
    throw new ConfigError('INPUT_FOLDER', 'INPUT_FOLDER is required for the backfill (gs://bucket/prefix/)');
  configureSharp();
  const logger = createLogger({ level: config.logLevel, service: 'backfill' });
  const { storageClient, pubsub, notifier } = createWorkerClients(config);
  const metrics = createWorkerMetrics();
  const pipeline = createWorkerPipeline({ storageClient, config, logger, notifier, metrics });

  const summary = await runBackfill({
    storage: new StorageAdapter(storageClient.bucket(input.bucket), { deadlineMs: config.storageTimeoutMs }),
    prefix: input.prefix,
    thumbnailPrefix: config.thumbnailPrefix,
    taskIndex: config.taskIndex,
    taskCount: config.taskCount,
    pipeline,
    logger,
    metrics,
    concurrency: config.maxConcurrency,
    progress: process.stderr,
  });
  if (process.stderr.isTTY) {
    process.stderr.write(
      `backfill ${input.prefix ? `gs://${input.bucket}/${input.prefix}` : `gs://${input.bucket}`} task ${config.taskIndex}/${config.taskCount}: ` +
        `${summary.total} objects, processed ${summary.processed}, duplicate ${summary.duplicate}, ` +
        `skipped ${summary.skipped}, failed ${summary.failed} in ${summary.seconds}s\n`,
    );
  }
  await notifier.close();
  await pubsub?.close();
  process.exitCode = summary.failed > 0 ? 1 : 0;
}

runMain(main);
