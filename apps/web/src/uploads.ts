/**
 * Storing an accepted upload: a create-only write through core's storage adapter that never overwrites.
 */
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
 * Writes `data` at `<YYYYMMDDTHHZ>/<safe filename>` with a create-only precondition; when the name is taken
 * tries `name-1`, `name-2`, … Never overwrites. contentType comes from the decoded format, not the client.
 */
export async function storeUpload(
  storage: StorageAdapter,
  data: Buffer,
  options: StoreOptions,
): Promise<StoredObject> {
  const base = uploadObjectName(options.originalName, options.at);
  const maxAttempts = options.maxAttempts ?? 50;
  for (let n = 0; n < maxAttempts; n += 1) {
    const result = await storage.createOnly(withCollisionSuffix(base, n), data, {
      contentType: options.probe.contentType,
      metadata: { originalFilename: printable(options.originalName) },
    });
    if (result.status === 'created') return result.object;
  }
  throw new TransientError('storage_unavailable', `Too many uploads named like ${base}; try another name`);
}
