/**
 * Wiring only: configuration, logger, metrics, Storage client, the app, the listener (with the slow-client bounds)
 * and a graceful SIGTERM: no new connections, in-flight uploads finish (or are cut after 8 s).
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createLogger, createStorageClient, onShutdown, runMain, StorageAdapter } from '@thumbnailer/core';
import { createApp } from './app.js';
import { loadConfig } from './config.js';
import { createWebMetrics } from './metrics.js';
import { boundSlowClients } from './slow-clients.js';
import { UploadSlots } from './slots.js';

/** Cloud Run allows 10 s after SIGTERM; in-flight uploads get most of it. */
const DRAIN_MS = 8_000;

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ service: 'web', level: config.logLevel });
  let sessionSecret = config.sessionSecret;
  if (!sessionSecret) {
    sessionSecret = randomBytes(32).toString('hex');
    logger.warn(
      'SESSION_SECRET is not set: using a random per-process secret (flash messages and the uploads a browser sees do not survive a restart or cross instances)',
    );
  }
  if (!config.uploadBucket)
    logger.warn('UPLOAD_BUCKET is not set: the upload page answers 503 and uploads are refused');

  const metrics = createWebMetrics();
  const uploadSlots = new UploadSlots(config.maxConcurrentUploads);
  metrics.uploadSlotsFrom(() => uploadSlots.inUse);
  // The client reads STORAGE_EMULATOR_HOST itself (its own switch). Bounded retries: a user is waiting.
  const storageClient = createStorageClient({
    retryOptions: { autoRetry: true, maxRetries: 2, totalTimeout: 30 },
  });
  const adapter = config.uploadBucket
    ? new StorageAdapter(storageClient.bucket(config.uploadBucket), {
        onRequest: (op) => metrics.storageRequest(op),
      })
    : undefined;

  const app = createApp({ config, logger, storage: adapter, sessionSecret, uploadSlots, metrics });
  const server = boundSlowClients(app.listen(config.port), config.maxUploadBytes);
  const shutdown = onShutdown({
    logger,
    async stop() {
      const drained = new Promise<void>((resolve, reject) =>
        server.close((err) => (err ? reject(err) : resolve())),
      );
      server.closeIdleConnections();
      const cut = setTimeout(() => {
        logger.warn({ afterMs: DRAIN_MS }, 'in-flight requests still running: closing them');
        server.closeAllConnections();
      }, DRAIN_MS);
      try {
        await drained;
      } finally {
        clearTimeout(cut);
      }
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
      bucket: config.uploadBucket ?? null,
      gallery: config.gallery,
      trustProxy: config.trustProxy,
    },
    `web listening on port ${config.port}`,
  );
}

runMain(main);
