/**
 * The ObjectStore port over an @google-cloud/storage Bucket: reads pinned to a generation, create-only writes,
 * and one error mapping: 404 → "gone" (undefined), 412 on create → "exists" (false), 5xx / 429 / network and
 * timeouts → TransientError('storage_unavailable'). Other errors propagate (and are retried as unexpected).
 */
import type { Bucket } from '@google-cloud/storage';
import { TransientError } from '@thumbnailer/core';
import type { ObjectStore, SourceStat } from './ports.js';

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

function statusOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

function isTransient(err: unknown): boolean {
  const status = statusOf(err);
  if (status !== undefined) return status === 408 || status === 429 || status >= 500;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
  const name = (err as { name?: unknown } | null)?.name;
  if (name === 'AbortError' || name === 'TimeoutError' || name === 'FetchError') return true;
  const cause = (err as { cause?: unknown } | null)?.cause;
  return cause !== undefined && cause !== err && isTransient(cause);
}

/** Rethrows storage outages as TransientError; returns the fallback for the expected status. */
async function mapped<T>(
  what: string,
  call: () => Promise<T>,
  expected: Record<number, () => T>,
): Promise<T> {
  try {
    return await call();
  } catch (err) {
    const status = statusOf(err);
    const fallback = status === undefined ? undefined : expected[status];
    if (fallback) return fallback();
    if (isTransient(err)) {
      throw new TransientError('storage_unavailable', `storage unavailable while ${what}`, { cause: err });
    }
    throw err;
  }
}

export function bucketObjects(bucket: Bucket): ObjectStore {
  const gone = () => undefined;
  return {
    stat: (name, generation) =>
      mapped<SourceStat | undefined>(
        `reading gs://${bucket.name}/${name}#${generation}`,
        async () => {
          const [metadata] = await bucket.file(name, { generation }).getMetadata();
          const custom: Record<string, string> = {};
          for (const [k, v] of Object.entries(metadata.metadata ?? {})) if (v != null) custom[k] = String(v);
          return {
            size: Number(metadata.size ?? 0),
            contentType: metadata.contentType,
            metadata: custom,
            created: new Date(metadata.timeCreated ?? Date.now()),
          };
        },
        { 404: gone },
      ),
    download: (name, generation) =>
      mapped<Buffer | undefined>(
        `downloading gs://${bucket.name}/${name}#${generation}`,
        async () => {
          const [data] = await bucket.file(name, { generation }).download({ validation: false });
          return data;
        },
        { 404: gone },
      ),
    createOnly: (name, data, { contentType, metadata }) =>
      mapped<boolean>(
        `writing gs://${bucket.name}/${name}`,
        async () => {
          await bucket.file(name).save(data, {
            resumable: false,
            contentType,
            metadata: { contentType, metadata },
            preconditionOpts: { ifGenerationMatch: 0 },
          });
          return true;
        },
        { 412: () => false },
      ),
  };
}
