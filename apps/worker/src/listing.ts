/**
 * What the backfill reads of the bucket, in the order it runs: a task's name ranges listed one after the other in
 * Cloud Storage's name order (so "everything up to this name" is a place to resume from), read ahead of the work
 * into a bounded buffer (the listing is fast and the progress bar wants a total; the bound keeps a task of millions
 * of objects from holding them all).
 */
import type { StorageAdapter, StoredObject } from '@thumbnailer/core';
import { compareNames, type NameRange } from './shards.js';

export type ListingStorage = Pick<StorageAdapter, 'list'>;

/**
 * Every object in `ranges` (ascending, disjoint) under `prefix`, in name order; with `after`, only the names
 * after it (a checkpoint's watermark): ranges wholly before it are not listed at all, the one holding it from it on.
 * A listing that fails part-way is taken up again after the last name it gave, for as long as `retry` says so.
 */
export async function* listRanges(
  storage: ListingStorage,
  prefix: string,
  ranges: readonly NameRange[],
  after?: string,
  retry: (error: unknown, failures: number) => Promise<boolean> = () => Promise.resolve(false),
): AsyncGenerator<StoredObject> {
  let last = after;
  for (const range of ranges) {
    for (let failures = 0; ;) {
      if (last !== undefined && range.end !== undefined && compareNames(range.end, last) <= 0) break;
      const start = last !== undefined && compareNames(last, range.start) > 0 ? last : range.start;
      const options = {
        ...(start ? { startOffset: start } : {}),
        ...(range.end ? { endOffset: range.end } : {}),
      };
      try {
        for await (const object of storage.list(prefix, options)) {
          if (last !== undefined && compareNames(object.name, last) <= 0) continue;
          last = object.name;
          yield object;
        }
        break;
      } catch (error) {
        failures += 1;
        if (!(await retry(error, failures))) throw error;
      }
    }
  }
}

export interface ReadAhead<T> extends AsyncIterable<T> {
  /** Items the source has given so far. */
  readonly listed: number;
  /** True once the source is exhausted: `listed` is then the total. */
  readonly finished: boolean;
}

/**
 * Pulls `source` ahead of its consumer into a buffer of at most `max` items. A failure of the source is thrown to
 * the consumer where it reaches that point; a consumer that stops early stops the source.
 */
export function readAhead<T>(source: AsyncIterable<T>, max: number): ReadAhead<T> {
  const buffer: T[] = [];
  let listed = 0;
  let finished = false;
  let failure: { error: unknown } | undefined;
  let stopped = false;
  let wakeConsumer: (() => void) | undefined;
  let wakeProducer: (() => void) | undefined;
  const wake = (which: 'consumer' | 'producer'): void => {
    const resolve = which === 'consumer' ? wakeConsumer : wakeProducer;
    if (which === 'consumer') wakeConsumer = undefined;
    else wakeProducer = undefined;
    resolve?.();
  };

  const producing = (async () => {
    try {
      for await (const item of source) {
        if (stopped) return;
        buffer.push(item);
        listed += 1;
        wake('consumer');
        while (buffer.length >= max && !stopped) await new Promise<void>((r) => (wakeProducer = r));
      }
    } catch (error) {
      failure = { error };
    } finally {
      finished = true;
      wake('consumer');
    }
  })();

  return {
    get listed() {
      return listed;
    },
    get finished() {
      return finished && failure === undefined;
    },
    async *[Symbol.asyncIterator]() {
      try {
        for (;;) {
          const item = buffer.shift();
          if (item !== undefined) {
            wake('producer');
            yield item;
            continue;
          }
          if (failure) throw failure.error;
          if (finished) return;
          await new Promise<void>((r) => (wakeConsumer = r));
        }
      } finally {
        stopped = true;
        wake('producer');
        await producing;
      }
    },
  };
}
