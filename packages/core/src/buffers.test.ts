import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BufferPool } from './buffers.js';

describe('BufferPool', () => {
  it('hands a given-back buffer out again instead of allocating a new one', () => {
    const pool = new BufferPool({ keep: 2, maxBytes: 64 << 20 });
    const first = pool.take(3 << 20);
    assert.ok(first.length >= 3 << 20);
    pool.give(first.subarray(0, 10));
    assert.equal(pool.size, 1);
    const again = pool.take(2 << 20);
    assert.equal(again.buffer, first.buffer, 'the same memory');
    assert.equal(pool.size, 0);
  });

  it('allocates when no free buffer is large enough, and picks the smallest that fits', () => {
    const pool = new BufferPool({ keep: 4, maxBytes: 64 << 20 });
    const small = pool.take(1 << 20);
    const large = pool.take(8 << 20);
    pool.give(large);
    pool.give(small);
    assert.equal(pool.take(2 << 20).buffer, large.buffer);
    const bigger = pool.take(16 << 20);
    assert.notEqual(bigger.buffer, small.buffer);
    assert.ok(bigger.length >= 16 << 20);
  });

  it('keeps at most `keep` free buffers, dropping the smallest', () => {
    const pool = new BufferPool({ keep: 1, maxBytes: 64 << 20 });
    const a = pool.take(1 << 20);
    const b = pool.take(4 << 20);
    pool.give(a);
    pool.give(b);
    assert.equal(pool.size, 1);
    assert.equal(pool.take(0).buffer, b.buffer, 'the larger one is kept');
  });

  it('ignores buffers it did not make, buffers over maxBytes and a buffer given back twice', () => {
    const pool = new BufferPool({ keep: 4, maxBytes: 2 << 20 });
    pool.give(Buffer.from('not mine'));
    pool.give(Buffer.alloc(1 << 20));
    const huge = pool.take(4 << 20);
    pool.give(huge);
    assert.equal(pool.size, 0);
    const kept = pool.take(1 << 20);
    pool.give(kept);
    pool.give(kept);
    assert.equal(pool.size, 1, 'one buffer is never handed out twice');
  });

  it('refuses a keep that is not a whole number', () => {
    assert.throws(() => new BufferPool({ keep: -1, maxBytes: 1 }), /keep must be a whole number ≥ 0, got -1/);
  });
});
