// Starts a web app on an ephemeral port against the storage emulator, with a log sink tests can read, and counts
// the storage requests it makes (from the emulator's request log).
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import type { Bucket } from '@google-cloud/storage';
import { createLogger, createThumbnail, StorageAdapter, type Clock } from '@thumbnailer/core';
import { startStack } from '@thumbnailer/emulators';
import { waitFor } from '@thumbnailer/testkit';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { boundSlowClients } from '../../src/slow-clients.js';
import { UploadSlots } from '../../src/slots.js';
import { expectedThumbnailName } from '../../src/thumbnails.js';

export interface RunningApp {
  base: string;
  logs: Record<string, unknown>[];
  slots: UploadSlots;
  close(): Promise<void>;
}

export interface StorageRequest {
  method: string;
  path: string;
  status: number;
  bytes: number;
}

// fake-gcs-server logs each request: `… "GET /storage/v1/b/bucket/o?prefix=x HTTP/1.1" 200 825`.
const REQUEST_LINE = /"([A-Z]+) (\S+) HTTP\/[\d.]+\\?" (\d{3}) (\d+)/;

/** startStack() whose storage emulator's request log is kept, to count what an action costs. */
export async function startCountedStack() {
  const seen: StorageRequest[] = [];
  const stack = await startStack(
    {},
    {
      onLog: (source, line) => {
        const match = source === 'storage' ? REQUEST_LINE.exec(line) : null;
        if (match)
          seen.push({
            method: match[1] ?? '',
            path: decodeURIComponent(match[2] ?? ''),
            status: Number(match[3]),
            bytes: Number(match[4]),
          });
      },
    },
  );
  const bucket = stack.storage().bucket(stack.provisioning.bucket);
  let marks = 0;
  /** Makes a request of the test's own and waits until the emulator logged it: every earlier one is logged too. */
  async function mark(): Promise<number> {
    const name = `count-mark-${++marks}`;
    await bucket
      .file(name)
      .getMetadata()
      .catch(() => undefined);
    return waitFor(
      () => {
        const index = seen.findIndex((r) => r.path.includes(name));
        return index >= 0 ? index : undefined;
      },
      { message: 'the emulator logged the mark request' },
    );
  }
  /** The storage requests made while `action` ran (none of the test's own may run meanwhile). */
  async function requestsDuring<T>(
    action: () => Promise<T>,
  ): Promise<{ result: T; requests: StorageRequest[] }> {
    const start = (await mark()) + 1;
    const result = await action();
    const end = await mark();
    return { result, requests: seen.slice(start, end) };
  }
  return { stack, bucket, requestsDuring };
}

export async function startWeb(options: {
  bucket: Bucket | undefined;
  env?: Record<string, string>;
  clock?: Clock;
}): Promise<RunningApp> {
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
    ...(options.bucket ? { UPLOAD_BUCKET: options.bucket.name } : {}),
    ...options.env,
  });
  const slots = new UploadSlots(config.maxConcurrentUploads);
  const app = createApp({
    config,
    logger: createLogger({ service: 'web', destination: sink, level: 'debug' }),
    storage: options.bucket ? new StorageAdapter(options.bucket) : undefined,
    sessionSecret: 'integration-test-secret-0123456789',
    uploadSlots: slots,
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

/** Plays the worker: writes the thumbnail of `name` where the worker would, with its metadata; returns its name. */
export async function makeThumbnail(bucket: Bucket, name: string): Promise<string> {
  const file = bucket.file(name);
  const [metadata] = await file.getMetadata();
  const [source] = await file.download();
  const thumbnail = await createThumbnail(source, { size: 100 });
  const target = expectedThumbnailName('thumbnails/', {
    name,
    generation: String(metadata.generation),
    created: new Date(String(metadata.timeCreated)),
    contentType: String(metadata.contentType),
  });
  await bucket.file(target).save(thumbnail.data, {
    resumable: false,
    contentType: thumbnail.contentType,
    metadata: {
      metadata: { thumbnailOf: `gs://${bucket.name}/${name}`, sourceGeneration: String(metadata.generation) },
    },
  });
  return target;
}
