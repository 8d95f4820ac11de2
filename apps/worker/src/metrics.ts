/**
 * The worker's Prometheus metrics (GET /metrics), with prom-client. createWorkerMetrics() makes its own Registry
 * (no global default registry, nothing happens at import) with the process and Node runtime metrics on it, and
 * small recording methods. Every label value comes from a bounded set, fixed by the types and by the mapping
 * below: no object name, bucket, key or free text ever becomes a label.
 *
 * Names, types and labels are the contract's (../shared/CONTRACT.md); WORKER_METRICS lists them for the deploy
 * checks, which compare the Cloud Monitoring dashboard and alerts against it.
 */
import { STORAGE_OPS, type ImageErrorCode, type StorageOp } from '@thumbnailer/core';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { EventSource } from './events.js';

export type MetricKind = 'counter' | 'gauge' | 'histogram';

/** Every metric this app defines (the default process_* and nodejs_* metrics aside), with its type. */
export const WORKER_METRICS = {
  thumbnailer_worker_events_total: 'counter',
  thumbnailer_worker_skipped_total: 'counter',
  thumbnailer_worker_latency_seconds: 'histogram',
  thumbnailer_worker_render_seconds: 'histogram',
  thumbnailer_worker_in_flight: 'gauge',
  thumbnailer_storage_requests_total: 'counter',
} as const satisfies Record<string, MetricKind>;

// ---- label sets ---------------------------------------------------------------------------------------

export const VIAS = ['pull', 'push', 'backfill'] as const;
export type Via = (typeof VIAS)[number];

export const EVENT_OUTCOMES = ['processed', 'duplicate', 'skipped', 'removed', 'retry', 'error'] as const;
export type EventOutcome = (typeof EVENT_OUTCOMES)[number];

/** Core's image refusals (ImageErrorCode), listed at run time; the check below fails to compile if one is missing. */
const IMAGE_REFUSALS = [
  'empty_image',
  'unsupported_format',
  'corrupt_image',
  'pixel_limit',
  'too_many_frames',
  'image_timeout',
] as const satisfies readonly ImageErrorCode[];
const everyImageRefusal: [Exclude<ImageErrorCode, (typeof IMAGE_REFUSALS)[number]>] extends [never]
  ? true
  : never = true;
void everyImageRefusal;

/** The worker's own reasons to skip an event without rendering it. */
const FILTER_REASONS = [
  'not_finalize', // a metadata update or another event that needs no rendition
  'archived', // OBJECT_ARCHIVE: a version became noncurrent in a versioned bucket; its renditions stay
  'live', // a delete event for a generation that still exists (replayed or forged): nothing is removed
  'bucket_not_served', // a bucket outside BUCKETS
  'thumbnail', // under THUMBNAIL_PREFIX, or carrying thumbnailOf
  'folder', // a folder placeholder (name ends with /)
  'empty', // a zero-byte object
  'gone', // the generation was deleted or superseded before it was read
] as const;

/** `other`: anything that is not one of the codes above (never the free text itself). */
export const SKIP_REASONS = [...IMAGE_REFUSALS, ...FILTER_REASONS, 'other'] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

const member =
  <T extends string>(set: readonly T[]) =>
  (value: unknown): value is T =>
    typeof value === 'string' && (set as readonly string[]).includes(value);

export const isVia = member(VIAS);
export const isEventOutcome = member(EVENT_OUTCOMES);
export const isSkipReason = member(SKIP_REASONS);
export const isStorageOp = member(STORAGE_OPS);

/** The contract's `via`: POST /event counts as push, whether it carried a CloudEvent or a Pub/Sub push body. */
export function viaOf(source: Via | EventSource): Via {
  return source === 'cloudevent' ? 'push' : source;
}

/**
 * The refusal code for a label: the code itself, or the code that starts a `<code>: <message>` reason (how the
 * pipeline reports image refusals); anything else is `other`.
 */
export function skipReasonOf(value: string | undefined): SkipReason {
  if (isSkipReason(value)) return value;
  const prefix = value === undefined ? undefined : /^([a-z_]+):/.exec(value)?.[1];
  return isSkipReason(prefix) ? prefix : 'other';
}

// ---- buckets ------------------------------------------------------------------------------------------

/** Source finalized → renditions written: 50 ms … 10 min (a backlog after an outage shows as minutes). */
export const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
/** Decode + encode of one image: 5 ms … 20 s (core bounds one image at 20 s). */
export const RENDER_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20];

// ---- the recorder -------------------------------------------------------------------------------------

/** What `event()` needs of an outcome; the worker's Outcome (outcomes.ts) fits as it is. */
export interface OutcomeLike {
  status: EventOutcome;
  /** A refusal code, when the outcome carries one. */
  code?: string;
  /** A skipped outcome's reason: a code, or `<code>: <message>`, or text (counted as `other`). */
  reason?: string;
}

export interface WorkerMetrics {
  readonly registry: Registry;
  /** The Content-Type of `text()`. */
  readonly contentType: string;
  /** The exposition for GET /metrics. */
  text(): Promise<string>;
  /** One event settled: `events_total{via,outcome}`, and for a skipped one `skipped_total{reason}`. */
  event(via: Via | EventSource, outcome: OutcomeLike): void;
  /**
   * Source finalized → renditions written, for a processed event. Backfill is not recorded: an old object's age
   * is not the pipeline's latency. Negative values (clock skew) count as 0; NaN and ±Infinity are dropped.
   */
  latency(via: Via | EventSource, seconds: number): void;
  /** Decode + encode of one image. */
  render(seconds: number): void;
  /** Runs `work` (the decode + encode) and records how long it took, whether it resolved or threw. */
  timeRender<T>(work: () => Promise<T>): Promise<T>;
  /** `count` Cloud Storage requests of one kind. */
  storageRequest(op: StorageOp, count?: number): void;
  /** Where `in_flight` is read from at scrape time (e.g. `() => pipeline.active`). */
  inFlightFrom(read: () => number): void;
  /** The counters as plain numbers (for the backfill job's summary line). */
  summary(): Promise<WorkerSummary>;
}

export interface WorkerSummary {
  events: Record<EventOutcome, number>;
  skipped: Partial<Record<SkipReason, number>>;
  storageRequests: Record<StorageOp, number>;
}

export interface WorkerMetricsOptions {
  /** Read at scrape time for `thumbnailer_worker_in_flight` (also settable later with `inFlightFrom`). */
  inFlight?: () => number;
}

const nonNegative = (seconds: number): number | undefined =>
  Number.isFinite(seconds) ? Math.max(0, seconds) : undefined;

export function createWorkerMetrics(options: WorkerMetricsOptions = {}): WorkerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  let readInFlight = options.inFlight;
  const metrics = defineMetrics(registry, () => readInFlight?.() ?? 0);
  const { events, skipped, latency, render, storage } = metrics;

  return {
    registry,
    contentType: registry.contentType,
    text: () => registry.metrics(),
    // Values outside the sets cannot be passed (the types), and are not recorded if they are at run time:
    // a metrics call must never throw into the code that settles a message.
    event(source, outcome) {
      const via = viaOf(source);
      if (!isVia(via) || !isEventOutcome(outcome.status)) return;
      events.labels(via, outcome.status).inc();
      if (outcome.status === 'skipped') skipped.labels(skipReasonOf(outcome.code ?? outcome.reason)).inc();
    },
    latency(source, seconds) {
      const value = nonNegative(seconds);
      if (viaOf(source) !== 'backfill' && value !== undefined) latency.observe(value);
    },
    render(seconds) {
      const value = nonNegative(seconds);
      if (value !== undefined) render.observe(value);
    },
    async timeRender(work) {
      const end = render.startTimer();
      try {
        return await work();
      } finally {
        end();
      }
    },
    storageRequest(op, count = 1) {
      if (isStorageOp(op) && Number.isFinite(count) && count > 0) storage.labels(op).inc(count);
    },
    inFlightFrom(read) {
      readInFlight = read;
    },
    summary: () => summaryOf(metrics),
  };
}

/** The app's metrics on one registry (the in-flight gauge is read at scrape time). */
interface Metrics {
  events: Counter<'via' | 'outcome'>;
  skipped: Counter<'reason'>;
  latency: Histogram;
  render: Histogram;
  storage: Counter<'op'>;
}

/** WORKER_METRICS on `registry`, every labelled series started at 0. */
function defineMetrics(registry: Registry, inFlight: () => number): Metrics {
  const registers = [registry];
  const events = new Counter({
    name: 'thumbnailer_worker_events_total',
    help: 'Events settled by the worker, by delivery path and outcome.',
    labelNames: ['via', 'outcome'] as const,
    registers,
  });
  const skipped = new Counter({
    name: 'thumbnailer_worker_skipped_total',
    help: 'Events skipped (settled without a rendition), by refusal code.',
    labelNames: ['reason'] as const,
    registers,
  });
  const latency = new Histogram({
    name: 'thumbnailer_worker_latency_seconds',
    help: 'Seconds from the source object being finalized to its renditions being written (pull and push).',
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const render = new Histogram({
    name: 'thumbnailer_worker_render_seconds',
    help: 'Seconds spent decoding and encoding one image.',
    buckets: RENDER_BUCKETS,
    registers,
  });
  new Gauge({
    name: 'thumbnailer_worker_in_flight',
    help: 'Images being worked on by this instance right now.',
    registers,
    collect() {
      this.set(inFlight());
    },
  });
  const storage = new Counter({
    name: 'thumbnailer_storage_requests_total',
    help: 'Cloud Storage requests made, by kind.',
    labelNames: ['op'] as const,
    registers,
  });

  // Every series starts at 0, so the first increment shows in rate() and increase() (bounded: 18 + 13 + 5).
  for (const via of VIAS) for (const outcome of EVENT_OUTCOMES) events.labels(via, outcome).inc(0);
  for (const reason of SKIP_REASONS) skipped.labels(reason).inc(0);
  for (const op of STORAGE_OPS) storage.labels(op).inc(0);
  return { events, skipped, latency, render, storage };
}

/** The counters as plain numbers. */
async function summaryOf({ events, skipped, storage }: Metrics): Promise<WorkerSummary> {
  const out: WorkerSummary = {
    events: Object.fromEntries(EVENT_OUTCOMES.map((o) => [o, 0])) as Record<EventOutcome, number>,
    skipped: {},
    storageRequests: Object.fromEntries(STORAGE_OPS.map((o) => [o, 0])) as Record<StorageOp, number>,
  };
  for (const { labels, value } of (await events.get()).values)
    if (isEventOutcome(labels.outcome)) out.events[labels.outcome] += value;
  for (const { labels, value } of (await skipped.get()).values)
    if (isSkipReason(labels.reason) && value > 0) out.skipped[labels.reason] = value;
  for (const { labels, value } of (await storage.get()).values)
    if (isStorageOp(labels.op)) out.storageRequests[labels.op] = value;
  return out;
}
