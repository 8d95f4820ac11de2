/**
 * `npm run backfill` / the Cloud Run Job entry point: wiring only (the logic is in backfill.ts).
 * Exit status: 0 when nothing failed, 1 otherwise (or when the configuration is unusable).
 */
import { ConfigError, createLogger, createStorageClient, StorageAdapter } from '@thumbnailer/core';
import sharp from 'sharp';
import { runBackfill } from './backfill.js';
import { loadConfig, type InputFolder, type WorkerConfig } from './config.js';
import { createWorkerPipeline } from './services.js';

// As in main.ts: parallelism comes from several images at once, one libvips thread each.
sharp.concurrency(1);
// No libvips operation cache: a worker never repeats an operation on the same input, so the cache only holds
// memory. bench/README.md measured it with the default allocator's arenas capped (MALLOC_ARENA_MAX=2, set by the
// deployment files): peak RSS stays at ~190 MiB instead of 340+ MiB, and the CPU time per image is unchanged
// (sharp.cache(false) alone, without the arena cap, does not help: 390 MiB after six corpus passes).
sharp.cache(false);

let config: WorkerConfig;
let input: InputFolder;
try {
  config = loadConfig();
  if (!config.inputFolder)
    throw new ConfigError('INPUT_FOLDER', 'INPUT_FOLDER is required for the backfill (gs://bucket/prefix/)');
  input = config.inputFolder;
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}

const logger = createLogger({ level: config.logLevel, service: 'backfill' });
// The client reads STORAGE_EMULATOR_HOST itself (its own switch). Retries stay short: a transient failure is
// better answered with a nack / 503 (redelivered later) than held for minutes.
const storage = createStorageClient({
  ...(config.projectId ? { projectId: config.projectId } : {}),
  retryOptions: { autoRetry: true, maxRetries: 2, maxRetryDelay: 2, totalTimeout: 15 },
});
const pipeline = createWorkerPipeline({ storage, config, logger });

try {
  const summary = await runBackfill({
    storage: new StorageAdapter(storage.bucket(input.bucket)),
    prefix: input.prefix,
    thumbnailPrefix: config.thumbnailPrefix,
    taskIndex: config.taskIndex,
    taskCount: config.taskCount,
    pipeline,
    logger,
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
  process.exitCode = summary.failed > 0 ? 1 : 0;
} catch (err) {
  logger.fatal({ err }, 'backfill failed');
  process.exitCode = 1;
}
