/**
 * Integration-test support for the worker: the built worker (and backfill job, replay) as child processes with their
 * JSON log lines collected, and small bucket helpers over the emulator clients.
 */
import { fileURLToPath } from 'node:url';
import type { Topic } from '@google-cloud/pubsub';
import type { Bucket } from '@google-cloud/storage';
import { waitFor } from '@thumbnailer/testkit';
import {
  freePort,
  startNodeApp,
  type LogEntry,
  type NodeApp,
  type ProxiedRequest,
  type StartNodeAppOptions,
  type Stack,
} from '@thumbnailer/emulators';

const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));
export const THUMBNAIL_PREFIX = 'thumbnails/';

/**
 * The environment a worker (or the backfill job) gets from the stack: Pub/Sub, its one bucket, and storage only
 * through the IAM proxy of its identity, with the roles infra/terraform grants it.
 */
export function workerEnv(stack: Stack, identity: 'worker' | 'backfill' = 'worker'): Record<string, string> {
  return { ...stack.envFor(identity), BUCKETS: stack.provisioning.bucket };
}

export type LogLine = LogEntry;

/** A worker entry (main, backfill-main, replay-main) with only the test's environment: its log lines collected. */
function run(
  script: string,
  env: Record<string, string>,
  options: Pick<StartNodeAppOptions, 'args' | 'ready' | 'timeoutMs'> = {},
): Promise<NodeApp> {
  return startNodeApp({
    ...options,
    entry: `${DIST}${script}`,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      LOG_LEVEL: 'info',
      THUMBNAIL_PREFIX,
      ...env,
    },
  });
}

export interface WorkerProcess extends NodeApp {
  url: string;
}

/** Starts `node apps/worker/dist/main.js` and waits until it listens. */
export async function startWorker(env: Record<string, string>): Promise<WorkerProcess> {
  const port = await freePort();
  const worker = await run(
    'main.js',
    { PORT: String(port), ...env },
    {
      ready: { message: 'worker listening' },
      timeoutMs: 15_000,
    },
  );
  return { ...worker, url: `http://127.0.0.1:${port}` };
}

export interface BackfillRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  logs: LogLine[];
  summary: LogLine | undefined;
  text: string[];
}

/** Starts the backfill job; `finished` resolves when it has exited. */
export async function startBackfillJob(
  env: Record<string, string>,
): Promise<NodeApp & { finished: Promise<BackfillRun> }> {
  const job = await run('backfill-main.js', env);
  const finished = job.exited.then(({ code, signal }) => ({
    code,
    signal,
    logs: job.logs,
    summary: job.logs.find((l) => l.message === 'backfill summary'),
    text: job.text,
  }));
  return { ...job, finished };
}

/** Runs the backfill job to completion. */
export async function runBackfillJob(env: Record<string, string>): Promise<BackfillRun> {
  return (await startBackfillJob(env)).finished;
}

/** A summary field added up over the tasks of a run. */
export function summed(runs: readonly BackfillRun[], field: string): number {
  return runs.reduce((n, r) => n + Number(r.summary?.[field] ?? NaN), 0);
}

/** The objects a backfill run settled (its per-object log lines), as `gs://bucket/name`. */
export function backfilledObjects(logs: LogLine[]): string[] {
  return logs
    .filter((l) => l.via === 'backfill' && typeof l.object === 'string')
    .map((l) => String(l.object));
}

/**
 * The objects an identity's proxy saw requests of one class for (writes by the name their upload gave, reads and
 * deletes by their path), leaving out the backfill's own checkpoints.
 */
export function objectsOf(
  requests: readonly ProxiedRequest[],
  what: 'create' | 'overwrite' | 'delete' | 'mediaRead' | 'metadataRead',
): string[] {
  return requests
    .filter((r) => r.class === what)
    .map((r) => r.object ?? objectOfPath(r.path))
    .filter((name) => !name.includes('.backfill/'));
}

/** The object of a JSON API path (`…/b/<bucket>/o/<object>`; the proxy logs paths decoded). */
function objectOfPath(path: string): string {
  return /\/b\/[^/]+\/o\/([^?]+)/.exec(path)?.[1] ?? '';
}

/** Uploads many objects, a few at a time. */
export async function uploadAll(
  bucket: Bucket,
  objects: readonly { name: string; data: Buffer; contentType?: string; metadata?: Record<string, string> }[],
  parallel = 16,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      for (let i = next++; i < objects.length; i = next++) {
        const o = objects[i]!;
        await bucket.file(o.name).save(o.data, {
          resumable: false,
          ...(o.contentType ? { contentType: o.contentType } : {}),
          ...(o.metadata ? { metadata: { metadata: o.metadata } } : {}),
        });
      }
    }),
  );
}

export interface ReplayRun {
  code: number | null;
  /** One per dead letter (stdout is not a TTY here: JSON lines). */
  entries: LogLine[];
  summary: LogLine | undefined;
  /** The log lines (stderr). */
  logs: LogLine[];
  text: string[];
}

/** Runs `replay-main.js` (`npm run replay-dead-letters`) to completion with these flags. */
export async function runReplay(
  env: Record<string, string>,
  args: readonly string[] = [],
): Promise<ReplayRun> {
  const replay = await run('replay-main.js', env, { args });
  const { code } = await replay.exited;
  return {
    code,
    entries: replay.logs.filter((l) => l.message === 'dead letter'),
    summary: replay.logs.find((l) => l.message === 'replay summary'),
    logs: replay.logs.filter((l) => l.severity !== undefined),
    text: replay.text,
  };
}

/** Writes an object and returns its generation. */
export async function upload(
  bucket: Bucket,
  name: string,
  data: Buffer,
  contentType?: string,
): Promise<string> {
  const file = bucket.file(name);
  await file.save(data, { resumable: false, ...(contentType ? { contentType } : {}) });
  if (file.metadata.generation !== undefined) return String(file.metadata.generation);
  const [metadata] = await file.getMetadata();
  return String(metadata.generation);
}

/** Thumbnails, optionally only those of sources under `sourcePrefix`. */
export async function thumbnails(
  bucket: Bucket,
  sourcePrefix = '',
): Promise<{ name: string; thumbnailOf: string }[]> {
  const [files] = await bucket.getFiles({ prefix: THUMBNAIL_PREFIX });
  return files
    .map((f) => ({ name: f.name, thumbnailOf: String(f.metadata.metadata?.thumbnailOf ?? '') }))
    .filter((t) => t.thumbnailOf.startsWith(`gs://${bucket.name}/${sourcePrefix}`));
}

/** Pub/Sub outcome lines of one worker, by status. */
export function pullOutcomes(logs: LogLine[]): LogLine[] {
  return logs.filter((l) => l.via === 'pull' && typeof l.status === 'string');
}

/** The notification attributes fake-gcs-server (and production) publish for a finalize. */
export function finalizeAttributes(bucket: string, name: string, generation: string): Record<string, string> {
  return {
    eventType: 'OBJECT_FINALIZE',
    bucketId: bucket,
    objectId: name,
    objectGeneration: generation,
    eventTime: new Date().toISOString(),
    payloadFormat: 'NONE',
  };
}

/** Publishes the finalize notification of this generation `times` over, as duplicated deliveries would bring it. */
export function publishFinalize(
  topic: Topic,
  bucket: string,
  name: string,
  generation: string,
  times: number,
): Promise<string[]> {
  const attributes = finalizeAttributes(bucket, name, generation);
  return Promise.all(
    Array.from({ length: times }, () => topic.publishMessage({ data: Buffer.alloc(0), attributes })),
  );
}

/** Every worker's pull outcomes for `key` (retries included), once at least `count` of them settled (not retry). */
export function settledOutcomes(
  workers: readonly WorkerProcess[],
  key: string,
  count: number,
  message: string,
): Promise<LogLine[]> {
  return waitFor(
    () => {
      const lines = workers.flatMap((w) => pullOutcomes(w.logs)).filter((l) => l.key === key);
      return lines.filter((l) => l.status !== 'retry').length >= count ? lines : undefined;
    },
    { timeoutMs: 30_000, message },
  );
}

export interface EventReply {
  status: number;
  body: Record<string, unknown>;
}

/**
 * POST /event with a `google.cloud.storage.object.v1.<kind>` CloudEvent in binary content mode, as Eventarc sends
 * it: the context attributes as ce-* headers, the object resource (StorageObjectData) as the body.
 */
export async function pushStorageEvent(
  worker: { url: string },
  kind: 'finalized' | 'deleted',
  data: Record<string, unknown>,
): Promise<EventReply> {
  const response = await fetch(`${worker.url}/event`, {
    method: 'POST',
    headers: {
      'ce-specversion': '1.0',
      'ce-id': `test-${kind}-${String(data.name)}-${String(data.generation)}-${Math.random()}`,
      'ce-type': `google.cloud.storage.object.v1.${kind}`,
      'ce-source': `//storage.googleapis.com/projects/_/buckets/${String(data.bucket)}`,
      'ce-subject': `objects/${String(data.name)}`,
      'ce-time': new Date().toISOString(),
      'content-type': 'application/json; charset=utf-8',
    },
    body: JSON.stringify(data),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** The object resource an event would carry for this object: its metadata as the JSON API returns it. */
export async function objectData(bucket: Bucket, name: string): Promise<Record<string, unknown>> {
  const [metadata] = await bucket.file(name).getMetadata();
  return { ...metadata, bucket: bucket.name, name };
}

/** Renditions (thumbnail objects) of one source object, with their custom metadata and sizes. */
export async function renditionsOf(
  bucket: Bucket,
  source: string,
): Promise<{ name: string; contentType: string; size: number; metadata: Record<string, string> }[]> {
  const [files] = await bucket.getFiles({ prefix: THUMBNAIL_PREFIX });
  return files
    .filter((f) => f.metadata.metadata?.thumbnailOf === `gs://${bucket.name}/${source}`)
    .map((f) => ({
      name: f.name,
      contentType: String(f.metadata.contentType ?? ''),
      size: Number(f.metadata.size ?? 0),
      metadata: Object.fromEntries(Object.entries(f.metadata.metadata ?? {}).map(([k, v]) => [k, String(v)])),
    }));
}
