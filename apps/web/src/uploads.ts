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
  /** Collision suffixes tried before giving up. */
  maxAttempts?: number;
}

/**
 * Writes `data` at `<YYYYMMDDTHHZ>/<safe filename>` with a create-only precondition; never overwrites.
 * contentType comes from the decoded format, not the client.
 *
 * A taken name gets a suffix, chosen so that the body is sent as few times as possible: a metadata check skips
 * names already taken (no body sent), and after losing a race for a name (412: another upload took it between the
 * check and the write) the next try uses a random suffix, which does not collide again. So a body is sent at
 * most twice, even when many uploads with one name arrive at once.
 */
export async function storeUpload(
  storage: StorageAdapter,
  data: Buffer,
  options: StoreOptions,
): Promise<StoredObject> {
  const base = uploadObjectName(options.originalName, options.at);
  const maxAttempts = options.maxAttempts ?? 50;
  let raced = false;
  for (let n = 0; n < maxAttempts; n += 1) {
    const name = withCollisionSuffix(base, raced ? randomSuffix() : n);
    if (!raced && (await storage.stat(name)) !== undefined) continue;
    const result = await storage.createOnly(name, data, {
      contentType: options.probe.contentType,
      metadata: { originalFilename: printable(options.originalName) },
    });
    if (result.status === 'created') return result.object;
    raced = true;
  }
  throw new TransientError('storage_unavailable', `Too many uploads named like ${base}; try another name`);
}

/** A suffix for after a lost race: 8 hex digits as a number-like string (`photo-3f9a1c2e.jpg`). */
function randomSuffix(): string {
  return randomBytes(4).toString('hex');
}
