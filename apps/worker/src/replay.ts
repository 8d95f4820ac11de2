/**
 * The dead-letter replay (`npm run replay-dead-letters`, the Cloud Run job): every held dead letter is told apart by
 * what the pipeline would make of it now, and with `apply` re-driven through that same pipeline in this process.
 *
 *   parse    — the notification parser of the pull path; a message it refuses is an unusable event.
 *   classify — dry run: pipeline.plan(), metadata reads only, starting with one read of exactly that generation
 *              (gone → skipped, or for a delete: its renditions would be removed; there → as planned, or live).
 *   re-drive — apply: pipeline.process(), the outcome names the reason (processed = renditions were missing, …).
 *   settle   — apply: settled outcomes (processed, duplicate, removed, skipped, unusable) are acked; retries stay
 *              on the subscription for a later run. A dry run acks nothing and writes nothing.
 *
 * Re-driving here rather than republishing to the notification topic: only the Cloud Storage service agent may
 * publish there (a worker that could would forge notifications), each message's outcome is known before it is
 * acked, and a message that still fails stays where it is instead of going round the 10 attempts again.
 */
import { idempotencyKey } from '@thumbnailer/core';
import pLimit from 'p-limit';
import type { Logger } from 'pino';
import type { DeadLetter, HeldLetters } from './dead-letters.js';
import { parseNotification, type ObjectEvent } from './events.js';
import { deliveryOf, errorOutcome, logOutcome, type Outcome } from './outcomes.js';
import { filterEvent, type FinalizePlan, type Pipeline } from './pipeline.js';

/** Why a dead letter is what it is, in the pipeline's terms. */
export type Reason =
  | 'missing' // renditions missing: processing makes them
  | 'complete' // every rendition exists: a duplicate
  | 'gone' // the source generation no longer exists: skipped
  | 'remove' // a delete of a generation that is gone: its renditions are removed
  | 'skipped' // skipped for a filter reason or an image refusal (`code`)
  | 'unusable' // not a usable event (`code`): acked once, never retried
  | 'retry'; // fails now (`code`, e.g. storage unavailable): left for a later run

export interface Verdict {
  reason: Reason;
  code?: string;
  detail: string;
}

export interface ReplayEntry extends Verdict {
  messageId: string;
  /** `<bucket>/<object>@<generation>`, when the message names one. */
  key?: string;
  /** Deliveries on the worker's subscription before it was dead-lettered, when Pub/Sub recorded them. */
  sourceDeliveries?: number;
  /** Apply: acked or left on the subscription. Dry run: what apply would do. */
  action: 'acked' | 'left' | 'would_ack' | 'would_leave';
}

export interface ReplaySummary {
  mode: 'dry-run' | 'apply';
  subscription: string;
  messages: number;
  /** `--max-messages` was reached: more may be waiting. */
  full: boolean;
  /** Messages by `reason` or `reason:code`. */
  reasons: Record<string, number>;
  /** Messages that settle (apply: acked) and that stay (apply: left for a later run). */
  settled: number;
  left: number;
}

/** `reason` or `reason:code`: the key the counts are kept under. */
export function reasonKey(verdict: Pick<Verdict, 'reason' | 'code'>): string {
  return verdict.code ? `${verdict.reason}:${verdict.code}` : verdict.reason;
}

/** A finalize plan as a verdict. */
export function verdictOfPlan(plan: FinalizePlan): Verdict {
  switch (plan.status) {
    case 'skipped':
      return plan.code === 'gone'
        ? { reason: 'gone', detail: plan.reason }
        : { reason: 'skipped', code: plan.code, detail: plan.reason };
    case 'complete':
      return { reason: 'complete', detail: 'every rendition exists' };
    case 'missing':
      return { reason: 'missing', detail: `missing: ${plan.missing.join(', ')}` };
    case 'not_image_by_type':
      return {
        reason: 'missing',
        detail: `missing: ${plan.missing.join(', ')} (its content type is not an image's: the bytes decide)`,
      };
  }
}

/** An outcome of pipeline.process() (or errorOutcome()) as a verdict. */
export function verdictOfOutcome(outcome: Outcome): Verdict {
  switch (outcome.status) {
    case 'processed':
      return {
        reason: 'missing',
        detail: `made: ${outcome.renditions.map((r) => r.uri).join(', ')}`,
      };
    case 'duplicate':
      return { reason: 'complete', detail: 'every rendition exists' };
    case 'removed':
      return { reason: 'remove', detail: `removed ${outcome.removed} rendition(s)` };
    case 'skipped':
      return outcome.code === 'gone'
        ? { reason: 'gone', detail: outcome.reason }
        : { reason: 'skipped', code: outcome.code, detail: outcome.reason };
    case 'error':
      return { reason: 'unusable', code: outcome.code, detail: outcome.error };
    case 'retry':
      return { reason: 'retry', code: outcome.code, detail: outcome.error };
  }
}

export interface ReplayOptions {
  held: HeldLetters;
  subscription: string;
  pipeline: Pick<Pipeline, 'plan' | 'process'>;
  /** The served buckets and THUMBNAIL_PREFIX, for the filter a delete is planned with. */
  buckets: ReadonlySet<string>;
  thumbnailPrefix: string;
  apply: boolean;
  /** Messages worked on at once (pipeline.process() is bounded by itself, plan() is not). */
  concurrency: number;
  logger: Logger;
}

function parse(letter: DeadLetter): ObjectEvent {
  return parseNotification(letter.attributes, letter.data, 'pull', letter.publishTime);
}

/**
 * What the pipeline would do with the event now, from metadata reads only. The plan is made without the event's
 * creation time, so that it starts with one read of exactly that generation: a real run learns that a source is gone
 * from its download, which a plan does not make. A delete is planned the way the removal starts: that same read
 * (gone → its renditions would be removed; there → live, nothing removed).
 */
async function plan(event: ObjectEvent, options: ReplayOptions): Promise<Verdict> {
  if (event.kind !== 'delete') {
    const { timeCreated: _, ...hints } = event.object;
    return verdictOfPlan(await options.pipeline.plan({ ...event, object: hints }));
  }
  const skip = filterEvent(event, options.buckets, options.thumbnailPrefix);
  if (skip) return { reason: 'skipped', code: skip.code, detail: skip.reason };
  const probe = await options.pipeline.plan({ ...event, object: {} });
  return probe.status === 'skipped' && probe.code === 'gone'
    ? { reason: 'remove', detail: 'the generation is gone: its renditions would be removed' }
    : {
        reason: 'skipped',
        code: 'live',
        detail: 'the generation still exists: a delete event for it removes nothing',
      };
}

/** The verdict on one letter, whether it settles, and its key when it names an object. */
async function judge(
  letter: DeadLetter,
  options: ReplayOptions,
): Promise<{ verdict: Verdict; settles: boolean; key?: string }> {
  let event: ObjectEvent;
  try {
    event = parse(letter);
  } catch (err) {
    return { verdict: verdictOfOutcome(errorOutcome(err)), settles: true };
  }
  const key = idempotencyKey(event.bucket, event.name, event.generation);
  if (!options.apply) {
    try {
      return { key, verdict: await plan(event, options), settles: true };
    } catch (err) {
      const outcome = errorOutcome(err, key);
      return { key, verdict: verdictOfOutcome(outcome), settles: deliveryOf(outcome) === 'settled' };
    }
  }
  let outcome: Outcome;
  try {
    outcome = await options.pipeline.process(event);
  } catch (err) {
    outcome = errorOutcome(err, key);
  }
  logOutcome(options.logger, outcome, {
    via: 'replay',
    messageId: letter.id,
    object: `gs://${event.bucket}/${event.name}`,
  });
  return { key, verdict: verdictOfOutcome(outcome), settles: deliveryOf(outcome) === 'settled' };
}

async function one(letter: DeadLetter, options: ReplayOptions): Promise<ReplayEntry> {
  const { verdict, settles, key } = await judge(letter, options);
  if (options.apply && settles) options.held.ack(letter);
  return {
    messageId: letter.id,
    ...(key ? { key } : {}),
    ...verdict,
    ...(letter.sourceDeliveries !== undefined ? { sourceDeliveries: letter.sourceDeliveries } : {}),
    action: options.apply ? (settles ? 'acked' : 'left') : settles ? 'would_ack' : 'would_leave',
  };
}

/** Classifies (and with `apply` re-drives and settles) every held letter; then releases the rest. */
export async function replayDeadLetters(
  options: ReplayOptions,
): Promise<{ entries: ReplayEntry[]; summary: ReplaySummary }> {
  const limit = pLimit(options.concurrency);
  let entries: ReplayEntry[];
  try {
    entries = await Promise.all(options.held.letters.map((letter) => limit(() => one(letter, options))));
  } finally {
    await options.held.release();
  }
  const reasons: Record<string, number> = {};
  for (const entry of entries) reasons[reasonKey(entry)] = (reasons[reasonKey(entry)] ?? 0) + 1;
  const settled = entries.filter((e) => e.action === 'acked' || e.action === 'would_ack').length;
  return {
    entries,
    summary: {
      mode: options.apply ? 'apply' : 'dry-run',
      subscription: options.subscription,
      messages: entries.length,
      full: options.held.full,
      reasons,
      settled,
      left: entries.length - settled,
    },
  };
}
