/**
 * Upload slots: at most `size` uploads have their body read and processed at once per instance (memory is bounded
 * by uploads in flight, not by requests); the others wait, unread, in arrival order.
 *
 * A request's `close` listener is attached when it starts waiting, so one that hangs up while queued leaves the
 * queue at once and never takes (or leaks) a slot; a slot is given back when its response closes, however it
 * ends. `inUse` and `waiting` are for tests and the `thumbnailer_web_upload_slots_in_use` gauge.
 */
import type { ServerResponse } from 'node:http';

export class UploadSlots {
  #inUse = 0;
  readonly #queue: (() => void)[] = [];

  constructor(readonly size: number) {}

  get inUse(): number {
    return this.#inUse;
  }

  get waiting(): number {
    return this.#queue.length;
  }

  /**
   * Resolves true once `res` holds a slot (given back when `res` closes), or false when `res` closed before it got
   * one.
   */
  acquire(res: ServerResponse): Promise<boolean> {
    if (res.writableEnded || res.destroyed) return Promise.resolve(false);
    return new Promise((resolve) => {
      let state: 'queued' | 'holding' | 'done' = 'queued';
      const grant = (): void => {
        state = 'holding';
        this.#inUse += 1;
        resolve(true);
      };
      res.once('close', () => {
        if (state === 'holding') this.#release();
        else if (state === 'queued') {
          this.#queue.splice(this.#queue.indexOf(grant), 1);
          resolve(false);
        }
        state = 'done';
      });
      if (this.#inUse < this.size) grant();
      else this.#queue.push(grant);
    });
  }

  #release(): void {
    this.#inUse -= 1;
    this.#queue.shift()?.();
  }
}
