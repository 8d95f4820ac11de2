/**
 * The worker's own error class. Image refusals (ImageError) and transient failures (TransientError) come from
 * @thumbnailer/core; outcomes.ts maps all of them to one delivery decision.
 */

export type EventErrorCode = 'malformed_event' | 'unsupported_event';

/** The request or message is not a usable event: answering 400 / acking it once is final, never retried. */
export class EventError extends Error {
  override readonly name = 'EventError';
  constructor(
    readonly code: EventErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isEventError(err: unknown): err is EventError {
  return err instanceof EventError;
}

export type RetryLaterCode = 'claim_held' | 'in_flight';

/** Someone else is working on this key right now: answer 503 / nack; the redelivery will find it done. */
export class RetryLaterError extends Error {
  override readonly name = 'RetryLaterError';
  constructor(
    readonly code: RetryLaterCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isRetryLaterError(err: unknown): err is RetryLaterError {
  return err instanceof RetryLaterError;
}
