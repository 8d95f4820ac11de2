/**
 * Exactly-once thumbnails in an at-least-once world.
 *
 * - `idempotencyKey`: the one key every delivery path agrees on, `<bucket>/<object>@<generation>`.
 * - `IdempotencyMap`: in-process, bounded (LRU) — collapses duplicates that reach the same instance.
 * - `ClaimStore`: cross-instance, a create-only marker object per key in the bucket with a lease, so only one
 *   instance works on a generation at a time, a finished one is never redone, and a crashed worker's claim
 *   expires and is taken over by exactly one contender (compare-and-swap on the marker's generation).
 *
 * Every marker change is a whole-object write with `ifGenerationMatch` (0 to create, the last seen generation to
 * change). Metadata PATCH preconditions are deliberately not used: fake-gcs-server ignores them, so a protocol
 * built on them would pass against production and silently not against the emulator (or the reverse).
 */
import { createHash, randomUUID } from 'node:crypto';
import { systemClock, type Clock } from './timestamp.js';
import type { StorageAdapter, StoredObject } from './storage.js';

export function idempotencyKey(bucket: string, name: string, generation: string | number): string {
  return `${bucket}/${name}@${String(generation)}`;
}

export type BeginResult = 'started' | 'in-flight' | 'done';

/**
 * Remembers which keys this process is working on or has finished. Bounded: past `maxEntries` the least
 * recently used finished keys are forgotten (keys in flight are never evicted; they are bounded by the
 * caller's concurrency). Forgetting is safe: the ClaimStore still answers 'done'.
 */
export class IdempotencyMap {
  readonly #entries = new Map<string, 'in-flight' | 'done'>();

  constructor(readonly maxEntries = 10_000) {
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1)
      throw new RangeError('maxEntries must be a positive integer');
  }

  get size(): number {
    return this.#entries.size;
  }

  /** 'started' (and now in flight) when the key is new or failed before; otherwise what it is. */
  begin(key: string): BeginResult {
    const state = this.#entries.get(key);
    if (state) {
      this.#touch(key, state);
      return state;
    }
    this.#touch(key, 'in-flight');
    return 'started';
  }

  /** ok → remembered as done; not ok → forgotten, so a redelivery starts again. */
  finish(key: string, ok: boolean): void {
    if (ok) this.#touch(key, 'done');
    else this.#entries.delete(key);
  }

  #touch(key: string, state: 'in-flight' | 'done'): void {
    this.#entries.delete(key);
    this.#entries.set(key, state);
    if (this.#entries.size <= this.maxEntries) return;
    for (const [k, s] of this.#entries) {
      if (this.#entries.size <= this.maxEntries) break;
      if (s === 'done') this.#entries.delete(k);
    }
  }
}

/** A claim held by this instance: pass it back to complete() or release(). */
export interface Claim {
  key: string;
  /** The marker object. */
  object: string;
  generation: string;
  metageneration: string;
  owner: string;
  leaseExpiresAt: Date;
}

export type ClaimResult =
  { status: 'claimed'; claim: Claim } | { status: 'done' } | { status: 'held'; until: Date };

export type CompleteResult = { status: 'completed' } | { status: 'lost' };

export interface ClaimStoreOptions {
  /** Markers go under `<prefix>.claims/`; use the thumbnail prefix so they are never processed as sources. */
  prefix: string;
  /** How long a claim stays valid without completion. Default 5 minutes. */
  leaseMs?: number;
  clock?: Clock;
  /** Names this instance in markers (for humans). Default a random id. */
  owner?: string;
}

/** Custom metadata keys on a marker object. */
const META = { key: 'claimKey', state: 'claimState', lease: 'leaseExpiresAt', owner: 'claimOwner' } as const;

const MAX_ATTEMPTS = 5;

export class ClaimStore {
  readonly #storage: StorageAdapter;
  readonly #prefix: string;
  readonly #leaseMs: number;
  readonly #clock: Clock;
  readonly #owner: string;

  constructor(storage: StorageAdapter, options: ClaimStoreOptions) {
    this.#storage = storage;
    this.#prefix = options.prefix;
    this.#leaseMs = options.leaseMs ?? 5 * 60_000;
    this.#clock = options.clock ?? systemClock;
    this.#owner = options.owner ?? randomUUID();
    if (!Number.isSafeInteger(this.#leaseMs) || this.#leaseMs < 1)
      throw new RangeError('leaseMs must be a positive integer');
  }

  /** The marker object of a key: `<prefix>.claims/<sha256(key)>`. */
  markerName(key: string): string {
    return `${this.#prefix}.claims/${createHash('sha256').update(key).digest('hex')}`;
  }

  #markerBody(
    key: string,
    state: 'claimed' | 'done',
    lease: Date,
  ): { data: string; metadata: Record<string, string> } {
    const metadata = {
      [META.key]: key,
      [META.state]: state,
      [META.lease]: lease.toISOString(),
      [META.owner]: this.#owner,
    };
    return { data: JSON.stringify(metadata), metadata };
  }

  #claimed(key: string, object: StoredObject, lease: Date): ClaimResult {
    return {
      status: 'claimed',
      claim: {
        key,
        object: object.name,
        generation: object.generation,
        metageneration: object.metageneration,
        owner: this.#owner,
        leaseExpiresAt: lease,
      },
    };
  }

  /**
   * Tries to become the one instance working on `key`. 'done': someone completed it. 'held': a live claim
   * elsewhere (try later). An expired claim is taken over with a compare-and-swap on the marker generation,
   * so of several contenders exactly one wins. Throws TransientError when storage is unavailable.
   */
  async claim(key: string): Promise<ClaimResult> {
    const name = this.markerName(key);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const lease = new Date(this.#clock().getTime() + this.#leaseMs);
      const { data, metadata } = this.#markerBody(key, 'claimed', lease);
      const created = await this.#storage.createOnly(name, data, {
        contentType: 'application/json',
        metadata,
      });
      if (created.status === 'created') return this.#claimed(key, created.object, lease);

      const marker = await this.#storage.stat(name);
      if (!marker) continue; // released in between: try to create again
      if (marker.metadata[META.state] === 'done') return { status: 'done' };
      const until = new Date(marker.metadata[META.lease] ?? 0);
      if (Number.isFinite(until.getTime()) && until.getTime() > this.#clock().getTime())
        return { status: 'held', until };

      const taken = await this.#storage.replace(name, marker.generation, data, {
        contentType: 'application/json',
        metadata,
      });
      if (taken.status === 'replaced') return this.#claimed(key, taken.object, lease);
      // another contender swapped first: look again
    }
    // The marker kept changing under us: someone else is actively on it.
    return { status: 'held', until: new Date(this.#clock().getTime() + this.#leaseMs) };
  }

  /**
   * Marks the key done, only if this claim still owns the marker (compare-and-swap on its generation).
   * 'lost': the lease expired and another instance took over; its create-only thumbnail write converges anyway.
   */
  async complete(claim: Claim): Promise<CompleteResult> {
    const result = await this.#swap(claim, 'done', claim.leaseExpiresAt);
    return result ? { status: 'completed' } : { status: 'lost' };
  }

  /** Extends the lease of a claim still held; the returned claim replaces the old one. Undefined if lost. */
  async renew(claim: Claim): Promise<Claim | undefined> {
    const lease = new Date(this.#clock().getTime() + this.#leaseMs);
    const object = await this.#swap(claim, 'claimed', lease);
    return (
      object && {
        ...claim,
        generation: object.generation,
        metageneration: object.metageneration,
        leaseExpiresAt: lease,
      }
    );
  }

  /**
   * Gives a claim up after a transient failure so a redelivery can claim at once: the marker is rewritten with
   * an already expired lease (compare-and-swap, so a claim taken over meanwhile is left alone).
   */
  async release(claim: Claim): Promise<void> {
    await this.#swap(claim, 'claimed', new Date(0));
  }

  /** Rewrites the marker only while it is still the generation this claim wrote. */
  async #swap(claim: Claim, state: 'claimed' | 'done', lease: Date): Promise<StoredObject | undefined> {
    const { data, metadata } = this.#markerBody(claim.key, state, lease);
    const result = await this.#storage.replace(claim.object, claim.generation, data, {
      contentType: 'application/json',
      metadata,
    });
    return result.status === 'replaced' ? result.object : undefined;
  }
}
