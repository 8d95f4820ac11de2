/**
 * `npm run backfill` / the Cloud Run Job entry point: wiring only (the logic is in backfill.ts).
 * Exit status: 0 when every object of the task's share settled and none failed; 1 otherwise — something failed,
 * the run was stopped (SIGTERM: in-flight images finish and the checkpoint is written, so a retry resumes), or the
 * configuration is unusable.
 */
import { createLogger, onShutdown, runMain, StorageAdapter } from '@thumbnailer/core';
import { runBackfill } from './backfill.js';
import { loadBackfillConfig } from './config.js';
import { createWorkerMetrics } from './metrics.js';
import { createWorkerPipeline } from './pipeline.js';
import { formatSummary } from './report.js';
import { configureSharp, createWorkerClients } from './runtime.js';

async function main(): Promise<void> {
  const config = loadBackfillConfig();
  configureSharp();
  const logger = createLogger({ level: config.logLevel, service: 'backfill' });
  const { storageClient, pubsub, notifier } = createWorkerClients(config);
  const metrics = createWorkerMetrics();
  // No in-process memory of finished keys: the job lists each object once, and a prune that deletes a stale
  // rendition at a current name must be able to run its source again (storage, not memory, says what is done).
  const pipeline = createWorkerPipeline({
    storageClient,
    config,
    logger,
    notifier,
    metrics,
    memo: { begin: () => 'started', finish: () => undefined },
  });
  const controller = new AbortController();

  const run = (async () => {
    const summary = await runBackfill({
      storage: new StorageAdapter(storageClient.bucket(config.input.bucket), {
        deadlineMs: config.storageTimeoutMs,
        onRequest: (op) => metrics.storageRequest(op),
      }),
      input: config.input,
      thumbnailPrefix: config.thumbnailPrefix,
      renditions: config.renditions,
      buckets: config.buckets,
      taskIndex: config.taskIndex,
      taskCount: config.taskCount,
      execution: config.execution,
      dryRun: config.dryRun,
      prune: config.prune,
      ...(config.maxRate !== undefined ? { maxRate: config.maxRate } : {}),
      concurrency: config.maxConcurrency,
      pipeline,
      logger,
      metrics,
      progress: process.stderr,
      signal: controller.signal,
      cpuSeconds: () => {
        const { user, system } = process.cpuUsage();
        return (user + system) / 1e6;
      },
    });
    if (process.stderr.isTTY) process.stderr.write(formatSummary(summary, config.input));
    process.exitCode = summary.failed > 0 || summary.interrupted ? 1 : 0;
  })();
  onShutdown({
    logger,
    async stop() {
      controller.abort(); // nothing new starts; in-flight images finish; the checkpoint is written
      await run.catch(() => undefined);
    },
  });
  try {
    await run;
  } finally {
    await notifier.close();
    await pubsub?.close();
  }
}

runMain(main);
