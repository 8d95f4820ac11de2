/**
 * The worker's own coded errors (core's CodedError base). Image refusals (ImageError) and transient failures
 * (TransientError) come from @thumbnailer/core; outcomes.ts maps all of them to one delivery decision.
 */
import { CodedError } from '@thumbnailer/core';

export type EventErrorCode = 'malformed_event' | 'unsupported_event';

/** The request or message is not a usable event: answering 400 / acking it once is final, never retried. */
export class EventError extends CodedError<EventErrorCode> {}

export type BackfillErrorCode = 'checkpoint_conflict' | 'plan_unreadable';

/** The backfill cannot go on safely: another attempt of the same task runs, or its shard plan cannot be had. */
export class BackfillError extends CodedError<BackfillErrorCode> {}
