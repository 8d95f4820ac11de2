// Starts a web app on an ephemeral port as the web identity (through its IAM proxy), with a log sink tests can
// read, and counts the storage requests it makes (from that proxy's request log).
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import type { Bucket } from '@google-cloud/storage';
import {
  createLogger,
  defaultRenditions,
  parseRenditions,
  renderRenditions,
  renditionObjectName,
  StorageAdapter,
  type Clock,
} from '@thumbnailer/core';
import { startStack, type ProxiedRequest, type Stack } from '@thumbnailer/emulators';
import { fixture } from '@thumbnailer/testkit';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createWebMetrics, type WebMetrics } from '../../src/metrics.js';
import { boundSlowClients } from '../../src/slow-clients.js';
import { UploadSlots } from '../../src/slots.js';
import { expectedRenditionName } from '../../src/thumbnails.js';

export interface RunningApp {
  base: string;
  logs: Record<string, unknown>[];
  slots: UploadSlots;
  metrics: WebMetrics;
  close(): Promise<void>;
}

export type StorageRequest = ProxiedRequest;

/**
 * startStack() plus a way to see what an action costs in storage requests: the web identity's IAM proxy records
 * every request the web app sends (never the proxy's own lookups, never the test's own admin requests).
 */
export async function startCountedStack() {
  const stack = await startStack();
  const bucket = stack.storage().bucket(stack.provisioning.bucket);
  const proxy = stack.identities.web;
  /** The storage requests the web app made while `action` ran. */
  async function requestsDuring<T>(
    action: () => Promise<T>,
  ): Promise<{ result: T; requests: StorageRequest[] }> {
    const start = proxy.requests().length;
    const result = await action();
    return { result, requests: proxy.requests().slice(start) };
  }
  return { stack, bucket, requestsDuring };
}

/**
 * The web app in process, reaching storage as the web identity does in production: through the stack's IAM proxy
 * for `web` (the roles infra/terraform grants it). `bucket` overrides that (e.g. through a fault proxy);
 * neither → UPLOAD_BUCKET unset.
 */
export async function startWeb(options: {
  stack?: Stack;
  bucket?: Bucket;
  env?: Record<string, string>;
  clock?: Clock;
}): Promise<RunningApp> {
  const bucket = options.bucket ?? options.stack?.storageFor('web').bucket(options.stack.provisioning.bucket);
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      }
      callback();
    },
  });
  const config = loadConfig({
    ...(bucket ? { UPLOAD_BUCKET: bucket.name } : {}),
    ...options.env,
  });
  // Wired as main.ts wires it: the slots gauge and the storage request counter feed the metrics.
  const slots = new UploadSlots(config.maxConcurrentUploads);
  const metrics = createWebMetrics({ uploadSlotsInUse: () => slots.inUse });
  const app = createApp({
    config,
    logger: createLogger({ service: 'web', destination: sink, level: 'debug' }),
    storage: bucket
      ? new StorageAdapter(bucket, { onRequest: (op) => metrics.storageRequest(op) })
      : undefined,
    sessionSecret: 'integration-test-secret-0123456789',
    uploadSlots: slots,
    metrics,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const server = boundSlowClients(app.listen(0, '127.0.0.1'), config.maxUploadBytes);
  await new Promise((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    logs,
    slots,
    metrics,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export interface UploadOptions {
  filename?: string;
  data?: Buffer | string;
  json?: boolean;
  field?: string;
  /** Appended as extra parts (e.g. a second file). */
  extraFiles?: { field: string; filename: string; data: Buffer | string }[];
}

export function uploadForm(options: UploadOptions): FormData {
  const form = new FormData();
  if (options.data !== undefined) {
    form.append(options.field ?? 'file', new Blob([options.data]), options.filename ?? 'photo.jpg');
  }
  for (const extra of options.extraFiles ?? [])
    form.append(extra.field, new Blob([extra.data]), extra.filename);
  return form;
}

export async function upload(base: string, options: UploadOptions): Promise<Response> {
  return fetch(`${base}/upload`, {
    method: 'POST',
    body: uploadForm(options),
    headers: options.json === false ? {} : { Accept: 'application/json' },
    redirect: 'manual',
  });
}

export interface Uploaded {
  name: string;
  generation: string;
  thumbnailStatus: string;
  /** The `Cookie` header of this browser after the upload (its session cookies). */
  cookie: string;
}

/** Uploads `data` (default: the small PNG fixture) as a browser holding `cookie` would, expecting 201. */
export async function uploadAs(
  web: RunningApp,
  cookie: string,
  filename: string,
  data?: Buffer,
): Promise<Uploaded> {
  const form = new FormData();
  form.append('file', new Blob([data ?? (await fixture('small-png'))]), filename);
  const res = await fetch(`${web.base}/upload`, {
    method: 'POST',
    body: form,
    headers: { Accept: 'application/json', cookie },
  });
  assert.equal(res.status, 201, await res.clone().text());
  const body = (await res.json()) as Omit<Uploaded, 'cookie'>;
  return { ...body, cookie: cookiesAfter(res, cookie) };
}

export async function objectNames(bucket: Bucket): Promise<string[]> {
  const [files] = await bucket.getFiles();
  return files.map((file) => file.name).sort();
}

/** The `Cookie` header a browser would send after this response (every Set-Cookie pair), plus earlier ones. */
export function cookiesAfter(res: Response, earlier = ''): string {
  const jar = new Map(
    earlier
      .split('; ')
      .filter(Boolean)
      .map((pair) => [pair.slice(0, pair.indexOf('=')), pair] as const),
  );
  for (const line of res.headers.getSetCookie()) {
    const pair = line.split(';')[0] ?? '';
    const name = pair.slice(0, pair.indexOf('='));
    if (/max-age=0|expires=thu, 01 jan 1970/i.test(line)) jar.delete(name);
    else jar.set(name, pair);
  }
  return [...jar.values()].join('; ');
}

/**
 * Plays the worker of an earlier release: writes the single thumbnail of `name` where it would, with only the
 * metadata it wrote (`thumbnailOf`, `sourceGeneration`); returns its name.
 */
export async function makeThumbnail(bucket: Bucket, name: string): Promise<string> {
  const file = bucket.file(name);
  const [metadata] = await file.getMetadata();
  const [source] = await file.download();
  const [thumbnail] = (await renderRenditions(source, defaultRenditions())).renditions;
  if (!thumbnail) throw new Error(`no thumbnail rendered for ${name}`);
  const target = expectedRenditionName(
    'thumbnails/',
    {
      name,
      generation: String(metadata.generation),
      created: new Date(String(metadata.timeCreated)),
      contentType: String(metadata.contentType),
    },
    defaultRenditions()[0]!,
  )!;
  await bucket.file(target).save(thumbnail.data, {
    resumable: false,
    contentType: thumbnail.contentType,
    metadata: {
      metadata: { thumbnailOf: `gs://${bucket.name}/${name}`, sourceGeneration: String(metadata.generation) },
    },
  });
  return target;
}

/**
 * Plays today's worker: renders `renditions` (a RENDITIONS value) of `name` with core's engine and writes them where
 * the worker does, with the metadata it writes; `only` writes just those renditions (a worker stopped between
 * writes). Returns the object names written, by rendition name.
 */
export async function makeRenditions(
  bucket: Bucket,
  name: string,
  renditions: string,
  only?: string[],
): Promise<Record<string, string>> {
  const specs = parseRenditions(renditions);
  const file = bucket.file(name);
  const [metadata] = await file.getMetadata();
  const [data] = await file.download();
  const result = await renderRenditions(data, specs, only ? { only } : {});
  const source = {
    name,
    generation: String(metadata.generation),
    created: new Date(String(metadata.timeCreated)),
  };
  const written: Record<string, string> = {};
  for (const r of result.renditions) {
    const target = renditionObjectName('thumbnails/', source, r.spec, result.source.format);
    await bucket.file(target).save(r.data, {
      resumable: false,
      contentType: r.contentType,
      metadata: {
        metadata: {
          thumbnailOf: `gs://${bucket.name}/${name}`,
          sourceGeneration: source.generation,
          rendition: r.spec.name,
          renditionSpec: r.canonicalSpec,
          thumbhash: result.thumbhash,
          dominantColor: result.dominantColor,
          width: String(r.width),
          height: String(r.height),
        },
      },
    });
    written[r.spec.name] = target;
  }
  return written;
}
