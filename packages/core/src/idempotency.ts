/**
 * Exactly-once thumbnails in an at-least-once world.
 *
 * - `idempotencyKey`: the one key every delivery path agrees on, `<bucket>/<object>@<generation>`.
 * - `IdempotencyMap`: in-process, bounded (LRU) — collapses duplicates that reach the same instance.
 *
 * Across instances nothing more is needed: every output has a deterministic name and is written create-only, so
 * of two instances working on the same generation exactly one write succeeds and the other is a duplicate.
 */

export function idempotencyKey(bucket: string, name: string, generation: string | number): string {
  return `${bucket}/${name}@${String(generation)}`;
}

export type BeginResult = 'started' | 'in-flight' | 'done';

/**
 * Remembers which keys this process is working on or has finished. Bounded: past `maxEntries` the least
 * recently used finished keys are forgotten (keys in flight are never evicted; they are bounded by the
 * caller's concurrency). Forgetting is safe: the create-only write still answers 'exists'.
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
