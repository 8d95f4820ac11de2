/**
 * `npm run replay-dead-letters` / the Cloud Run job thumbnailer-replay-dead-letters: wiring only (reading in
 * dead-letters.ts, the replay in replay.ts, the output in replay-report.ts). The report goes to stdout, the logs to
 * stderr, so a pipe gets the report alone. `--dry-run` (the default) acks and writes nothing.
 * Exit status: 0, unless `--apply` left a message unsettled, or the configuration or the subscription is unusable.
 */
import { ConfigError, createLogger, runMain } from '@thumbnailer/core';
import { pino } from 'pino';
import { loadReplayConfig } from './config.js';
import { holdDeadLetters } from './dead-letters.js';
import { createWorkerMetrics } from './metrics.js';
import { silentNotifier } from './notify.js';
import { createWorkerPipeline } from './pipeline.js';
import { replayDeadLetters } from './replay.js';
import { formatJsonLines, formatTable } from './replay-report.js';
import { configureSharp, createWorkerClients } from './runtime.js';

async function main(): Promise<void> {
  const config = loadReplayConfig(undefined, process.argv.slice(2));
  configureSharp();
  const logger = createLogger({
    level: config.logLevel,
    service: 'replay',
    destination: pino.destination(2),
  });
  // The dead-letter subscription is the one this process reads: a Pub/Sub client is always needed.
  const { storageClient, pubsub, notifier } = createWorkerClients({
    ...config,
    subscription: config.deadLetterSubscription,
  });
  const metrics = createWorkerMetrics();
  const pipeline = createWorkerPipeline({
    storageClient,
    config,
    logger,
    notifier: config.apply ? notifier : silentNotifier,
    metrics,
  });

  try {
    const held = await holdDeadLetters({
      pubsub: pubsub!,
      subscription: config.deadLetterSubscription,
      maxMessages: config.maxMessages,
      idleMs: config.idleMs,
    }).catch((err: unknown) => {
      // Missing, or not ours to read: one line naming the variable, as for any unusable setting.
      throw new ConfigError('DEAD_LETTER_SUBSCRIPTION', (err as Error).message);
    });
    const { entries, summary } = await replayDeadLetters({
      held,
      subscription: config.deadLetterSubscription,
      pipeline,
      buckets: config.buckets,
      thumbnailPrefix: config.thumbnailPrefix,
      apply: config.apply,
      concurrency: config.maxConcurrency,
      logger,
    });
    const report = { ...summary, storageRequests: (await metrics.summary()).storageRequests };
    process.stdout.write(
      process.stdout.isTTY ? formatTable(entries, report) : formatJsonLines(entries, report),
    );
    process.exitCode = summary.mode === 'apply' && summary.left > 0 ? 1 : 0;
  } finally {
    await notifier.close();
    await pubsub?.close();
  }
}

runMain(main);
