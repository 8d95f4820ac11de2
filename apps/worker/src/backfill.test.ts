import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { shardOf } from './backfill.js';

describe('shardOf', () => {
  const names = Array.from({ length: 300 }, (_, i) => `20251203T15Z/photo-${i}.jpg`);

  it('puts every object in exactly one shard, the same one every time', () => {
    for (const count of [1, 2, 3, 7]) {
      for (const name of names) {
        const shard = shardOf(name, count);
        assert.ok(Number.isInteger(shard) && shard >= 0 && shard < count);
        assert.equal(shardOf(name, count), shard);
      }
    }
  });

  it('spreads names over all shards', () => {
    const sizes = [0, 0, 0];
    for (const name of names) sizes[shardOf(name, 3)]! += 1;
    for (const size of sizes) assert.ok(size > 50, `shard sizes ${sizes.join(', ')}`);
  });

  it('gives everything to task 0 when there is one task', () => {
    assert.ok(names.every((name) => shardOf(name, 1) === 0));
  });
});
