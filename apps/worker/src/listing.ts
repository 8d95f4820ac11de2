/**
 * What the backfill reads of the bucket, in the order it runs: the shares of a run (one folder listing, and the
 * first page of each folder when there are few), then a task's name ranges listed one after the other in Cloud
 * Storage's name order (so "everything up to this name" is a place to resume from), read ahead of the work into a
 * bounded buffer (the listing is fast and the progress bar wants a total; the bound keeps a task of millions of
 * objects from holding them all), and worked through with a bounded number in flight.
 */
import type { StorageAdapter, StoredObject } from '@thumbnailer/core';
import { compareNames, shardRanges, without, type NameRange, type SpaceSample } from './shards.js';

export type ListingStorage = Pick<StorageAdapter, 'list'>;

/** Names read from a space to cut inside it: one listing page. */
const SAMPLE_PAGE = 1000;

/** The first page of a space's listing, `excluded` left out (no further page is read). */
async function samplePage(storage: ListingStorage, space: string, excluded: string): Promise<SpaceSample> {
  const names: string[] = [];
  const ranges = excluded.startsWith(space) ? without({ start: space }, excluded) : [{ start: space }];
  for await (const object of listRanges(storage, space, ranges)) {
    names.push(object.name);
    if (names.length === SAMPLE_PAGE) return { names, complete: false };
  }
  return { names, complete: true };
}

/**
 * Every task's ranges under `prefix` (everything under `excluded` left out): one folder listing, and with fewer
 * than two folders per task the first page of each folder (or of the loose objects, when there is no folder).
 */
export async function planShares(
  storage: ListingStorage & Pick<StorageAdapter, 'folders'>,
  prefix: string,
  excluded: string,
  taskCount: number,
): Promise<NameRange[][]> {
  const folders = await storage.folders(prefix);
  const inputs = folders.filter((folder) => !folder.startsWith(excluded));
  const samples = new Map<string, SpaceSample>();
  if (taskCount > 1 && inputs.length < 2 * taskCount)
    for (const space of inputs.length > 0 ? inputs : [prefix])
      samples.set(space, await samplePage(storage, space, excluded));
  return Array.from({ length: taskCount }, (_, i) =>
    shardRanges(prefix, folders, i, taskCount, excluded, samples),
  );
}

/**
 * Calls `start` for each object in listing order (synchronously, so the caller can note the order) with at most
 * `concurrency` of the promises it returns unsettled; stops taking objects once `stopping()`; resolves when every
 * started one has settled. `start` must not reject.
 */
export async function drain(
  objects: AsyncIterable<StoredObject>,
  concurrency: number,
  stopping: () => boolean,
  start: (object: StoredObject) => Promise<void>,
): Promise<void> {
  const inFlight = new Set<Promise<void>>();
  for await (const object of objects) {
    while (inFlight.size >= concurrency) await Promise.race(inFlight);
    if (stopping()) break;
    const work = start(object).finally(() => inFlight.delete(work));
    inFlight.add(work);
  }
  await Promise.all(inFlight);
}

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
