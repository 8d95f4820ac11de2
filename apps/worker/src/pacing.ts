/**
 * How fast a backfill task starts work: at most MAX_RATE images per second (p-throttle), and not at all while
 * storage pushes back. A 429 or 5xx (TransientError 'storage_unavailable') pauses the whole task, not only the
 * object that met it — the other objects would meet the same overloaded backend — for a delay that doubles with
 * each push-back in a row (1 s, 2 s, 4 s … 60 s, jittered so that tasks do not retry in step) and shrinks again as
 * requests succeed. Each object still gets a bounded number of attempts (backfill.ts).
 */
import pThrottle from 'p-throttle';

export interface Pacer {
  /** Resolves when the next object may start: the task is not paused and the rate allows it. */
  ready(): Promise<void>;
  /** Resolves when the task is not paused (for requests that are not an image's, such as a listing page). */
  unpaused(): Promise<void>;
  /** Storage pushed back: pause the task. Returns the pause in ms. */
  pushedBack(): number;
  /** A request went through: the next pause, if any, is shorter. */
  succeeded(): void;
  /** True while the task is paused. */
  readonly paused: boolean;
}

export interface PacerOptions {
  /** Images per second; undefined: unlimited. */
  maxRate?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  clock?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** [0, 1), for the jitter. */
  random?: () => number;
}

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A throttle of `rate` calls per second that spreads them evenly: one call per 1000/rate ms, or, above 100 per
 * second (where timers are too coarse for one call at a time), ⌈rate/100⌉ calls per window of the same average.
 */
export function rateLimiter(rate: number): () => Promise<void> {
  const limit = Math.max(1, Math.ceil(rate / 100));
  const throttle = pThrottle({ limit, interval: (1000 * limit) / rate, strict: true });
  return throttle(() => Promise.resolve());
}

export function createPacer(options: PacerOptions = {}): Pacer {
  const clock = options.clock ?? (() => Date.now());
  const sleep = options.sleep ?? sleepFor;
  const random = options.random ?? Math.random;
  const base = options.baseDelayMs ?? 1000;
  const max = options.maxDelayMs ?? 60_000;
  const rate = options.maxRate === undefined ? undefined : rateLimiter(options.maxRate);
  /** Push-backs in a row (each success takes one off). */
  let level = 0;
  let pausedUntil = 0;

  const unpaused = async (): Promise<void> => {
    for (let now = clock(); now < pausedUntil; now = clock()) await sleep(pausedUntil - now);
  };
  return {
    async ready() {
      await unpaused();
      await rate?.();
    },
    unpaused,
    pushedBack() {
      level = Math.min(level + 1, 32);
      const delay = Math.min(max, base * 2 ** (level - 1));
      const pause = Math.round(delay * (0.5 + random() / 2));
      pausedUntil = Math.max(pausedUntil, clock() + pause);
      return pause;
    },
    succeeded() {
      level = Math.max(0, level - 1);
    },
    get paused() {
      return clock() < pausedUntil;
    },
  };
}
