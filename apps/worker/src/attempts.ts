/**
 * One object's attempts in the backfill: each waits for the pacer (MAX_RATE, and no start while storage pushes
 * back); a transient failure is tried again up to `attempts` times — after pausing the whole task when storage
 * pushed back (429/5xx), else after a short delay that grows with each attempt; anything else settles at once. The
 * same rule takes a failed listing page up again.
 */
import type { Logger } from 'pino';
import { errorOutcome, type Outcome } from './outcomes.js';
import type { Pacer } from './pacing.js';

export type Attempted<T> = { ok: T } | { failed: Outcome };

export interface Attempts {
  /**
   * Runs `work` until it succeeds, fails for good, or has had its attempts. A thrown error is mapped by
   * errorOutcome; `retryOf` tells a returned value that asks to be tried again (a pipeline `retry` outcome).
   */
  run<T>(
    key: string,
    work: () => Promise<T>,
    retryOf?: (value: T) => Outcome | undefined,
  ): Promise<Attempted<T>>;
  /** For listRanges: whether (and when) to ask a failed listing page again. */
  retryListing(error: unknown, failures: number): Promise<boolean>;
}

export interface AttemptsOptions {
  pacer: Pacer;
  logger: Logger;
  /** Attempts per object (default 3). */
  attempts?: number;
  /** Between attempts for transient failures other than a push-back: this × the attempt (default 1 s). */
  retryDelayMs?: number;
  /** True once the task is stopping: a listing is not asked again. */
  stopping: () => boolean;
}

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createAttempts(options: AttemptsOptions): Attempts {
  const { pacer, logger } = options;
  const attempts = options.attempts ?? 3;
  const retryDelayMs = options.retryDelayMs ?? 1000;

  const pushBack = (): void => {
    const already = pacer.paused;
    const pauseMs = pacer.pushedBack();
    if (!already) logger.warn({ pauseMs }, 'storage is pushing back (429/5xx): pausing this task');
  };
  const wait = async (failure: Outcome, attempt: number): Promise<void> => {
    if (failure.status === 'retry' && failure.code === 'storage_unavailable') pushBack();
    else await sleepFor(retryDelayMs * attempt);
  };

  return {
    async run(key, work, retryOf = () => undefined) {
      let failure: Outcome = { status: 'retry', error: 'not attempted', code: 'internal' };
      for (let n = 1; n <= attempts; n++) {
        await pacer.ready();
        try {
          const value = await work();
          const retry = retryOf(value);
          if (retry === undefined) {
            pacer.succeeded();
            return { ok: value };
          }
          failure = retry;
        } catch (err) {
          failure = errorOutcome(err, key);
          if (failure.status !== 'retry') return { failed: failure };
        }
        if (n < attempts) await wait(failure, n);
      }
      return { failed: failure };
    },
    async retryListing(error, failures) {
      const failure = errorOutcome(error);
      if (failure.status !== 'retry' || failures >= attempts || options.stopping()) return false;
      logger.warn({ err: error, failures }, 'a listing page failed; asking again');
      await wait(failure, failures);
      await pacer.unpaused();
      return true;
    },
  };
}
