/**
 * The one shape of every entry script (web, worker, backfill): `runMain(main)` runs an async main(); a ConfigError
 * prints its one line, anything else its stack, and the exit code is 1. `onShutdown` runs an app's stop steps
 * once, on SIGTERM/SIGINT or when the app asks (a fatal error), sets `process.exitCode`, and leaves within the
 * budget Cloud Run gives between SIGTERM and SIGKILL (10 s) even if a step hangs.
 */
import type { Logger } from 'pino';
import { ConfigError } from './errors.js';

export function runMain(main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    const line =
      err instanceof ConfigError
        ? err.message
        : err instanceof Error
          ? (err.stack ?? err.message)
          : String(err);
    process.stderr.write(`${line}\n`);
    process.exitCode = 1;
  });
}

export interface ShutdownOptions {
  logger: Logger;
  /** Stop taking work, finish or nack what is in flight, close clients. Runs once. */
  stop(reason: string): Promise<void>;
  /** Hard stop after this long (default 9 s: inside Cloud Run's 10 s). */
  budgetMs?: number;
}

/** Installs the signal handlers; the returned function starts the same shutdown from inside the app. */
export function onShutdown(options: ShutdownOptions): (reason: string, exitCode?: number) => Promise<void> {
  const budgetMs = options.budgetMs ?? 9_000;
  let stopping: Promise<void> | undefined;
  const shutdown = (reason: string, exitCode = 0): Promise<void> => {
    process.exitCode = Math.max(Number(process.exitCode ?? 0), exitCode);
    stopping ??= (async () => {
      const started = Date.now();
      options.logger.info({ reason }, 'shutting down');
      setTimeout(() => {
        options.logger.error({ reason, budgetMs }, 'shutdown took too long; exiting');
        process.exit();
      }, budgetMs).unref();
      try {
        await options.stop(reason);
        options.logger.info({ ms: Date.now() - started }, 'stopped');
      } catch (err) {
        process.exitCode = 1;
        options.logger.error({ err }, 'shutdown failed');
      }
      // Anything still holding the event loop (keep-alive sockets, client channels) must not hold the exit.
      setTimeout(() => process.exit(), 200).unref();
    })();
    return stopping;
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.on('unhandledRejection', (err) => {
    options.logger.fatal({ err }, 'unhandled rejection');
    void shutdown('unhandled rejection', 1);
  });
  return shutdown;
}
