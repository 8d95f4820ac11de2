import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { IdempotencyMap, idempotencyKey } from './idempotency.js';

describe('idempotencyKey', () => {
  it('is <bucket>/<object>@<generation>', () => {
    assert.equal(
      idempotencyKey('b', '20251203T15Z/photo.jpg', '1733238000123456'),
      'b/20251203T15Z/photo.jpg@1733238000123456',
    );
  });
  it('gives the same key for a numeric and a string generation', () => {
    assert.equal(idempotencyKey('b', 'o', 17), idempotencyKey('b', 'o', '17'));
  });
});

describe('IdempotencyMap', () => {
  it('starts a new key, then reports it in flight', () => {
    const map = new IdempotencyMap();
    assert.equal(map.begin('k'), 'started');
    assert.equal(map.begin('k'), 'in-flight');
  });

  it('reports done after a successful finish', () => {
    const map = new IdempotencyMap();
    map.begin('k');
    map.finish('k', true);
    assert.equal(map.begin('k'), 'done');
  });

  it('forgets a failed key so a redelivery starts again', () => {
    const map = new IdempotencyMap();
    map.begin('k');
    map.finish('k', false);
    assert.equal(map.begin('k'), 'started');
  });

  it('never grows past maxEntries with finished keys, forgetting the least recently used', () => {
    const map = new IdempotencyMap(3);
    for (const k of ['a', 'b', 'c']) {
      map.begin(k);
      map.finish(k, true);
    }
    assert.equal(map.begin('a'), 'done'); // touch a: b is now the oldest
    map.begin('d');
    map.finish('d', true);
    assert.equal(map.size, 3);
    assert.equal(map.begin('b'), 'started');
    for (let i = 0; i < 1000; i++) {
      map.begin(`x${i}`);
      map.finish(`x${i}`, true);
    }
    assert.ok(map.size <= 3);
  });

  it('never evicts keys still in flight', () => {
    const map = new IdempotencyMap(2);
    map.begin('a');
    map.begin('b');
    map.begin('c');
    assert.equal(map.begin('a'), 'in-flight');
    assert.equal(map.begin('b'), 'in-flight');
    assert.equal(map.begin('c'), 'in-flight');
    map.finish('a', true);
    map.finish('b', true);
    assert.ok(map.size <= 2);
  });

  it('refuses a maxEntries that is not a positive integer', () => {
    assert.throws(() => new IdempotencyMap(0), RangeError);
  });
});
