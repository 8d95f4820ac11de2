/**
 * What the pipeline needs from storage and idempotency, as narrow interfaces. main.ts and backfill-main.ts fill
 * them with @thumbnailer/core's storage adapter, IdempotencyMap and ClaimStore over a real Storage client.
 */

/** What the pipeline needs to know about a source generation before downloading it. */
export interface SourceStat {
  size: number;
  contentType: string | undefined;
  metadata: Record<string, string>;
  /** The generation's creation time: it fixes the thumbnail's folder for every retry. */
  created: Date;
}

export interface ObjectStore {
  /** undefined: that generation no longer exists (deleted or superseded). */
  stat(name: string, generation: string): Promise<SourceStat | undefined>;
  /** undefined: that generation no longer exists. */
  download(name: string, generation: string): Promise<Buffer | undefined>;
  /** Create-only write; false when the object already exists (412). */
  createOnly(
    name: string,
    data: Buffer,
    options: { contentType: string; metadata: Record<string, string> },
  ): Promise<boolean>;
}

export type ClaimResult = { status: 'claimed'; claim: unknown } | { status: 'done' } | { status: 'held' };

export interface Claims {
  claim(key: string): Promise<ClaimResult>;
  complete(claim: unknown): Promise<void>;
  release(claim: unknown): Promise<void>;
}

export interface BucketPorts {
  objects: ObjectStore;
  claims: Claims;
}

/** The in-process idempotency map. */
export interface Memo {
  begin(key: string): 'started' | 'in-flight' | 'done';
  finish(key: string, ok: boolean): void;
}
