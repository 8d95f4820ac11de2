// Starts a web app on an ephemeral port against the storage emulator, with a log sink tests can read.
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import type { Bucket } from '@google-cloud/storage';
import { createLogger, StorageAdapter, type Clock } from '@thumbnailer/core';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';

export interface RunningApp {
  base: string;
  logs: Record<string, unknown>[];
  close(): Promise<void>;
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
  const app = createApp({
    config,
    logger: createLogger({ service: 'web', destination: sink, level: 'debug' }),
    storage: options.bucket ? new StorageAdapter(options.bucket) : undefined,
    sessionSecret: 'integration-test-secret-0123456789',
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    logs,
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
