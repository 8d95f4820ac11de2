/**
 * Wiring only: configuration, logger, Storage client, the app, the listener (with the slow-client bounds) and a
 * graceful SIGTERM.
 */
import { randomBytes } from 'node:crypto';
import { ConfigError, createLogger, createStorageClient, StorageAdapter } from '@thumbnailer/core';
import { createApp } from './app.js';
import { loadConfig, type WebConfig } from './config.js';
import { boundSlowClients } from './slow-clients.js';

let config: WebConfig;
try {
  config = loadConfig();
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(err.message);
  process.exit(1);
}

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

// The client reads STORAGE_EMULATOR_HOST itself (its own switch). Bounded retries: a user is waiting.
const storage = createStorageClient({ retryOptions: { autoRetry: true, maxRetries: 2, totalTimeout: 30 } });
const adapter = config.uploadBucket ? new StorageAdapter(storage.bucket(config.uploadBucket)) : undefined;

const app = createApp({ config, logger, storage: adapter, sessionSecret });
const server = boundSlowClients(
  app.listen(config.port, () => {
    logger.info(
      {
        port: config.port,
        bucket: config.uploadBucket ?? null,
        gallery: config.gallery,
        trustProxy: config.trustProxy,
      },
      `web listening on port ${config.port}`,
    );
  }),
  config.maxUploadBytes,
);
server.on('error', (err) => {
  logger.fatal({ err }, 'cannot listen');
  process.exitCode = 1;
});

function shutdown(signal: string): void {
  logger.info({ signal }, 'shutting down: no new connections, finishing in-flight uploads');
  server.close((err) => {
    if (err) logger.error({ err }, 'error while closing the server');
    process.exitCode = err ? 1 : 0;
    logger.info('stopped');
  });
  server.closeIdleConnections();
  // Cloud Run allows 10 s after SIGTERM; leave before being killed.
  setTimeout(() => {
    logger.warn('in-flight requests still running after 8 s: closing them');
    server.closeAllConnections();
  }, 8_000).unref();
}
process.once('SIGTERM', () => shutdown('SIGTERM'));
process.once('SIGINT', () => shutdown('SIGINT'));
