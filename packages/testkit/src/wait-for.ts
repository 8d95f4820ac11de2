import { inspect } from 'node:util';

export interface WaitForOptions {
  /** Give up after this long. Default 10 000 ms. */
  timeoutMs?: number;
  /** Pause between attempts. Default 50 ms. */
  intervalMs?: number;
  /** What we were waiting for: the start of the timeout error's message. */
  message?: string;
}

/**
 * Polls `fn` until it returns (or resolves to) a truthy value and returns that value. A throw or rejection
 * counts as "not yet". On timeout, throws an Error naming `message` and the last error seen (as `cause`).
 * Tests use this instead of sleeping.
 */
export async function waitFor<T>(
  fn: () => T | Promise<T>,
  { timeoutMs = 10_000, intervalMs = 50, message = 'condition' }: WaitForOptions = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  let attempts = 0;
  for (;;) {
    attempts += 1;
    try {
      const value = await fn();
      if (value) return value;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) break;
    await new Promise((resolve) =>
      setTimeout(resolve, Math.min(intervalMs, Math.max(0, deadline - Date.now()))),
    );
  }
  const detail =
    lastError === undefined
      ? 'last result was falsy'
      : `last error: ${lastError instanceof Error ? lastError.message : inspect(lastError)}`;
  throw new Error(
    `Timed out after ${timeoutMs} ms (${attempts} attempts) waiting for ${message}; ${detail}`,
    {
      cause: lastError,
    },
  );
}
