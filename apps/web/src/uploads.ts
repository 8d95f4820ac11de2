/**
 * Storing an accepted upload: a create-only write through core's storage adapter that never overwrites.
 */
import { randomBytes } from 'node:crypto';
import {
  TransientError,
  uploadObjectName,
  withCollisionSuffix,
  type ProbeResult,
  type StorageAdapter,
  type StoredObject,
} from '@thumbnailer/core';

// C0/C1 control characters, bidi marks, embeddings, overrides and isolates.
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** Control characters and bidirectional overrides removed, length bounded: safe for metadata and display. */
export function printable(text: string, max = 255): string {
  return text.replace(UNPRINTABLE, '').slice(0, max);
}

export interface StoreOptions {
  /** The client's filename: sanitised into the object name, kept (printable) in custom metadata. */
  originalName: string;
  probe: ProbeResult;
  at: Date;
}

/** Random-suffix names tried after the plain name is taken; a clash of 32 random bits is not expected at all. */
const SUFFIX_ATTEMPTS = 3;

/**
 * Writes `data` at `<YYYYMMDDTHHZ>/<safe filename>` with a create-only precondition; never overwrites.
 * contentType comes from the decoded format, not the client.
 *
 * A taken name gets a random suffix (`photo-3f9a1c2e.jpg`) in a bounded number of requests, however popular the
 * name: one metadata check of the plain name (so a body is not sent to a name that is taken), its create-only
 * write, then create-only writes under random suffixes. Usually 2 requests; at most 2 + SUFFIX_ATTEMPTS.
 */
export async function storeUpload(
  storage: StorageAdapter,
  data: Buffer,
  options: StoreOptions,
): Promise<StoredObject> {
  const base = uploadObjectName(options.originalName, options.at);
  const write = {
    contentType: options.probe.contentType,
    metadata: { originalFilename: printable(options.originalName) },
  };
  if ((await storage.stat(base)) === undefined) {
    const result = await storage.createOnly(base, data, write);
    if (result.status === 'created') return result.object;
  }
  for (let attempt = 0; attempt < SUFFIX_ATTEMPTS; attempt += 1) {
    const result = await storage.createOnly(withCollisionSuffix(base, randomSuffix()), data, write);
    if (result.status === 'created') return result.object;
  }
  throw new TransientError('storage_unavailable', `No free name found for ${base}`);
}

/** 8 hex digits (`3f9a1c2e`). */
function randomSuffix(): string {
  return randomBytes(4).toString('hex');
}
