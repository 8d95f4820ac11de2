import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ListOptions, StoredObject } from '@thumbnailer/core';
import { listRanges, readAhead } from './listing.js';

const object = (name: string): StoredObject => ({
  bucket: 'b',
  name,
  generation: '1',
  metageneration: '1',
  size: 1,
  contentType: undefined,
  timeCreated: undefined,
  metadata: {},
});

/** A bucket listing in memory (pure logic: the range arithmetic; the real listing is tested against the emulator). */
function memoryList(names: string[], failAfter?: { count: number; times: number }) {
  const calls: ListOptions[] = [];
  let given = 0;
  return {
    calls,
    async *list(prefix: string, options: ListOptions = {}): AsyncGenerator<StoredObject> {
      calls.push(options);
      for (const name of [...names].sort()) {
        if (!name.startsWith(prefix)) continue;
        if (options.startOffset !== undefined && name < options.startOffset) continue;
        if (options.endOffset !== undefined && name >= options.endOffset) continue;
        if (failAfter && failAfter.times > 0 && ++given > failAfter.count) {
          failAfter.times -= 1;
          given = 0;
          throw Object.assign(new Error('503'), { code: 503 });
        }
        await Promise.resolve();
        yield object(name);
      }
    },
  };
}

async function collect(source: AsyncIterable<StoredObject>): Promise<string[]> {
  const names: string[] = [];
  for await (const o of source) names.push(o.name);
  return names;
}

describe('listRanges', () => {
  const names = ['a/1', 'a/2', 'b/1', 'b/2', 'c/1', 'z'];

  it('lists the ranges in order, and after a watermark only what comes after it', async () => {
    const storage = memoryList(names);
    const ranges = [{ start: 'a/', end: 'b/' }, { start: 'c/' }];
    assert.deepEqual(await collect(listRanges(storage, '', ranges)), ['a/1', 'a/2', 'c/1', 'z']);
    storage.calls.length = 0;
    assert.deepEqual(await collect(listRanges(storage, '', ranges, 'c/1')), ['z']);
    assert.deepEqual(
      storage.calls,
      [{ startOffset: 'c/1' }],
      'the range wholly before the watermark is not listed',
    );
  });

  it('takes a listing that failed part-way up again after the last name it gave', async () => {
    const storage = memoryList(names, { count: 2, times: 2 });
    const failures: number[] = [];
    const retry = (_: unknown, n: number) => {
      failures.push(n);
      return Promise.resolve(true);
    };
    assert.deepEqual(await collect(listRanges(storage, '', [{ start: '' }], undefined, retry)), names);
    assert.deepEqual(failures, [1, 2]);
    await assert.rejects(collect(listRanges(memoryList(names, { count: 1, times: 1 }), '', [{ start: '' }])));
  });
});

describe('readAhead', () => {
  it('reads ahead of its consumer up to the bound, and knows the total once the source is done', async () => {
    const storage = memoryList(Array.from({ length: 50 }, (_, i) => `n${String(i).padStart(2, '0')}`));
    const ahead = readAhead(storage.list(''), 10);
    const it = ahead[Symbol.asyncIterator]();
    await it.next();
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.ok(ahead.listed <= 11 && ahead.listed >= 2, `listed ${ahead.listed}`);
    let rest = 1;
    for (let r = await it.next(); !r.done; r = await it.next()) rest += 1;
    assert.equal(rest, 50);
    assert.equal(ahead.finished, true);
    assert.equal(ahead.listed, 50);
  });

  it('passes a failing source on to its consumer', async () => {
    const failing = (async function* () {
      yield object('a');
      await Promise.resolve();
      throw new Error('listing failed');
    })();
    await assert.rejects(collect(readAhead(failing, 10)), /listing failed/);
  });
});
