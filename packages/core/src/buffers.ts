/**
 * Reusable byte buffers for the images a process downloads, one per image in flight.
 *
 * A downloaded photo is one multi-megabyte buffer outside V8's heap that lives until its render is done. V8 counts
 * such external memory and, as it piles up, starts full mark-compacts to free it: with four 12 MP photos in flight
 * the worker ran 9–19 of them per 48 images, ~15 ms of CPU per image (bench/README.md). Downloading into the same
 * few buffers again and again leaves nothing to collect. A buffer goes back with give() once nothing reads it any
 * more (the render has settled); one that is never given back is simply garbage, as before.
 */

export interface BufferPoolOptions {
  /** Free buffers kept for reuse (the images a process has in flight at once). */
  keep: number;
  /** Larger buffers are not kept: one huge image does not pin its memory for good. */
  maxBytes: number;
}

/**
 * take() allocates whole multiples of this (1 MiB): photos a few bytes apart in size fit the same buffers, so a pool
 * sized by one 5.6 MB photo serves the next without a new allocation.
 */
const MIN_BYTES = 1 << 20;

export class BufferPool {
  readonly #options: BufferPoolOptions;
  /** Free buffers, smallest first. */
  readonly #free: ArrayBuffer[] = [];
  /** Every buffer this pool allocated: give() takes back only those (never a view of Node's shared slab). */
  readonly #own = new WeakSet<ArrayBuffer>();

  constructor(options: BufferPoolOptions) {
    if (!Number.isInteger(options.keep) || options.keep < 0) {
      throw new RangeError(`keep must be a whole number ≥ 0, got ${options.keep}`);
    }
    this.#options = { ...options };
  }

  /** Free buffers held now. */
  get size(): number {
    return this.#free.length;
  }

  /** A buffer of at least `bytes` (old contents, to be overwritten): the smallest free one that fits, or a new one. */
  take(bytes: number): Buffer {
    const index = this.#free.findIndex((buffer) => buffer.byteLength >= bytes);
    if (index >= 0) return Buffer.from(this.#free.splice(index, 1)[0]!);
    const memory = Buffer.allocUnsafeSlow(Math.max(1, Math.ceil(bytes / MIN_BYTES)) * MIN_BYTES).buffer;
    this.#own.add(memory);
    return Buffer.from(memory);
  }

  /**
   * Hands back the buffer `view` lies in (a take() result or any view of it). Kept while fewer than `keep` are free
   * and it is at most `maxBytes`; a buffer this pool did not make, or one already free, is ignored.
   */
  give(view: Buffer): void {
    const memory = view.buffer as ArrayBuffer;
    if (!this.#own.has(memory) || this.#free.includes(memory)) return;
    if (memory.byteLength > this.#options.maxBytes) return;
    this.#free.push(memory);
    this.#free.sort((a, b) => a.byteLength - b.byteLength);
    // Too many free: drop the smallest, so the buffers kept are those that fit the largest images.
    if (this.#free.length > this.#options.keep) this.#free.shift();
  }
}
