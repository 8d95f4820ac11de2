/**
 * The web app's Prometheus metrics (GET /metrics), with prom-client. createWebMetrics() makes its own Registry
 * (no global default registry, nothing happens at import) with the process and Node runtime metrics on it, and
 * small recording methods. Label values come from bounded sets only: an HTTP status code, a storage request kind;
 * never a file or object name.
 *
 * Names, types and labels are the contract's (../shared/CONTRACT.md); WEB_METRICS lists them for the deploy
 * checks, which compare the Cloud Monitoring dashboard and alerts against it.
 */
import { STORAGE_OPS, type StorageOp } from '@thumbnailer/core';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export type MetricKind = 'counter' | 'gauge' | 'histogram';

/** Every metric this app defines (the default process_* and nodejs_* metrics aside), with its type. */
export const WEB_METRICS = {
  thumbnailer_web_uploads_total: 'counter',
  thumbnailer_web_upload_bytes: 'histogram',
  thumbnailer_web_upload_seconds: 'histogram',
  thumbnailer_web_upload_slots_in_use: 'gauge',
  thumbnailer_storage_requests_total: 'counter',
} as const satisfies Record<string, MetricKind>;

/** The answers POST /upload gives (CONTRACT.md, plus 429 rate limited and 500); their series start at 0. */
export const UPLOAD_STATUSES = [201, 400, 413, 415, 422, 429, 500, 503] as const;

/** An HTTP status code as a label: a whole number from 100 to 599, else `other`. */
export function statusLabel(status: number): string {
  return Number.isInteger(status) && status >= 100 && status <= 599 ? String(status) : 'other';
}

export function isStorageOp(value: unknown): value is StorageOp {
  return typeof value === 'string' && (STORAGE_OPS as readonly string[]).includes(value);
}

/** 1 KiB … 64 MiB by powers of 4 (MAX_UPLOAD_BYTES defaults to 20 MiB; Cloud Run caps requests at 32 MiB). */
export const UPLOAD_BYTES_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16_384, 65_536].map((k) => k * 1024);
/** 10 ms … 60 s (the service's request timeout). */
export const UPLOAD_SECONDS_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** One answered POST /upload. */
export interface UploadRecord {
  /** The status of the outcome (201, or the refusal's 4xx/5xx), also when a browser gets it as a 303 flash. */
  status: number;
  /** Bytes of the file received, when one was read (a refusal before the body, e.g. 503, has none). */
  bytes?: number;
  /** From the request's arrival to its answer, waiting for an upload slot included. */
  seconds: number;
}

export interface WebMetrics {
  readonly registry: Registry;
  /** The Content-Type of `text()`. */
  readonly contentType: string;
  /** The exposition for GET /metrics. */
  text(): Promise<string>;
  /** `uploads_total{status}`, and the bytes and seconds histograms. */
  upload(record: UploadRecord): void;
  /** `count` Cloud Storage requests of one kind. */
  storageRequest(op: StorageOp, count?: number): void;
  /** Where `upload_slots_in_use` is read from at scrape time (e.g. `() => uploadSlots.activeCount`). */
  uploadSlotsFrom(read: () => number): void;
}

export interface WebMetricsOptions {
  /** Read at scrape time for `thumbnailer_web_upload_slots_in_use` (also settable later with `uploadSlotsFrom`). */
  uploadSlotsInUse?: () => number;
}

export function createWebMetrics(options: WebMetricsOptions = {}): WebMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  let readSlots = options.uploadSlotsInUse;

  const uploads = new Counter({
    name: 'thumbnailer_web_uploads_total',
    help: 'Answered uploads (POST /upload), by the HTTP status of their outcome.',
    labelNames: ['status'] as const,
    registers,
  });
  const bytes = new Histogram({
    name: 'thumbnailer_web_upload_bytes',
    help: 'Size of the uploaded files received, in bytes.',
    buckets: UPLOAD_BYTES_BUCKETS,
    registers,
  });
  const seconds = new Histogram({
    name: 'thumbnailer_web_upload_seconds',
    help: 'Seconds from an upload request arriving to its answer.',
    buckets: UPLOAD_SECONDS_BUCKETS,
    registers,
  });
  new Gauge({
    name: 'thumbnailer_web_upload_slots_in_use',
    help: 'Uploads being received or checked right now (at most MAX_CONCURRENT_UPLOADS per instance).',
    registers,
    collect() {
      this.set(readSlots?.() ?? 0);
    },
  });
  const storage = new Counter({
    name: 'thumbnailer_storage_requests_total',
    help: 'Cloud Storage requests made, by kind.',
    labelNames: ['op'] as const,
    registers,
  });

  // The usual series start at 0, so their first increment shows in rate() and increase().
  for (const status of UPLOAD_STATUSES) uploads.labels(String(status)).inc(0);
  for (const op of STORAGE_OPS) storage.labels(op).inc(0);

  return {
    registry,
    contentType: registry.contentType,
    text: () => registry.metrics(),
    // A metrics call never throws into a request: values outside the sets are mapped (status) or dropped.
    upload(record) {
      uploads.labels(statusLabel(record.status)).inc();
      if (record.bytes !== undefined && Number.isFinite(record.bytes) && record.bytes >= 0)
        bytes.observe(record.bytes);
      if (Number.isFinite(record.seconds)) seconds.observe(Math.max(0, record.seconds));
    },
    storageRequest(op, count = 1) {
      if (isStorageOp(op) && Number.isFinite(count) && count > 0) storage.labels(op).inc(count);
    },
    uploadSlotsFrom(read) {
      readSlots = read;
    },
  };
}
