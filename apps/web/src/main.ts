/**
 * Wiring only: configuration, logger, Storage client, the app, the listener and a graceful SIGTERM.
 */
import { randomBytes } from 'node:crypto';
import { Storage } from '@google-cloud/storage';
import { StorageAdapter } from '@thumbnailer/core';
import { createApp } from './app.js';
import { loadConfig, type WebConfig } from './config.js';
import { createLogger } from './logging.js';

let config: WebConfig;
try {
  config = loadConfig();
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
}

const logger = createLogger({ level: config.logLevel });

let sessionSecret = config.sessionSecret;
if (!sessionSecret) {
  sessionSecret = randomBytes(32).toString('hex');
  logger.warn(
    'SESSION_SECRET is not set: using a random per-process secret (flash messages do not survive a restart or cross instances)',
  );
}
if (!config.uploadBucket)
  logger.warn('UPLOAD_BUCKET is not set: the upload page answers 503 and uploads are refused');

// The client reads STORAGE_EMULATOR_HOST itself (its own switch). Bounded retries: a user is waiting.
const storage = new Storage({ retryOptions: { autoRetry: true, maxRetries: 2, totalTimeout: 30 } });
// The JSON API lives under /storage/v1 of the endpoint. The client already derives that for its default
// endpoint, but takes STORAGE_EMULATOR_HOST verbatim as the JSON base URL (uploads still go to
// <endpoint>/upload/storage/v1), so listing and metadata calls would miss the prefix. Same value in production.
storage.baseUrl = `${storage.apiEndpoint}/storage/v1`;
const adapter = config.uploadBucket ? new StorageAdapter(storage.bucket(config.uploadBucket)) : undefined;

const app = createApp({ config, logger, storage: adapter, sessionSecret });
const server = app.listen(config.port, () => {
  logger.info(
    { port: config.port, bucket: config.uploadBucket ?? null },
    `web listening on port ${config.port}`,
  );
});
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
